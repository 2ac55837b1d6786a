"""Flask commands: one `AppGroup` per area (`flask <area> <command>`), registered here and only here.

The commands stay thin and call services. A few commands had top-level names before they were grouped; those
names stay as hidden aliases (cron lines, deployment scripts and page texts use them): see `ALIASES`.
"""

import copy

import click
from flask import Flask
from flask.cli import AppGroup


def groups() -> list[AppGroup]:
    """The command groups, one per area."""
    from matchmaker.admin.commands import cli as admin
    from matchmaker.content.commands import cli as content
    from matchmaker.demo.commands import cli as demo
    from matchmaker.events.commands import cli as events
    from matchmaker.kbo.commands import cli as kbo
    from matchmaker.knowledge.commands import cli as knowledge
    from matchmaker.matches.commands import cli as match
    from matchmaker.newsletter.commands import cli as newsletter
    from matchmaker.notifications.commands import cli as notifications
    from matchmaker.outcomes.commands import cli as outcomes
    from matchmaker.schedules.commands import cli as schedules
    from matchmaker.static_files import cli as static
    from matchmaker.tasks.commands import cli as tasks

    return [
        admin,
        content,
        demo,
        events,
        kbo,
        knowledge,
        match,
        newsletter,
        notifications,
        outcomes,
        schedules,
        static,
        tasks,
    ]


# Former top-level name -> (group, command).
ALIASES = {
    "create-admin": ("admin", "create-admin"),
    "set-up": ("admin", "set-up"),
    "seed-pages": ("content", "seed-pages"),
    "seed-demo": ("demo", "seed"),
    "purge-newsletter": ("newsletter", "purge"),
    "send-outcome-surveys": ("outcomes", "send-surveys"),
    "schedule-event": ("schedules", "run"),
}


def init_app(app: Flask) -> None:
    by_name = {group.name: group for group in groups()}
    for group in by_name.values():
        app.cli.add_command(group)
    for alias, (group_name, command_name) in ALIASES.items():
        command = by_name[group_name].commands[command_name]
        hidden: click.Command = copy.copy(command)
        hidden.hidden = True  # `flask --help` lists the groups only
        app.cli.add_command(hidden, alias)
