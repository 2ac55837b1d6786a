"""The command line: one group per area, listed in the README; the former top-level names still work."""

from pathlib import Path

import click
import pytest
from flask.cli import AppGroup

from matchmaker.cli import ALIASES, groups

ROOT = Path(__file__).resolve().parents[2]
FLASK_OWN = {"db", "routes", "run", "shell", "limiter"}  # Flask's and its extensions' groups


def test_every_command_of_the_app_belongs_to_an_area_group(app):
    commands = app.cli.list_commands(click.Context(app.cli))
    ours = {name: app.cli.get_command(click.Context(app.cli), name) for name in commands}
    visible = {name for name, command in ours.items() if not command.hidden} - FLASK_OWN
    assert visible == {group.name for group in groups()}
    assert all(isinstance(ours[name], AppGroup) and ours[name].commands for name in visible)


@pytest.mark.parametrize(("alias", "target"), sorted(ALIASES.items()))
def test_a_former_name_is_a_hidden_alias_of_its_group_command(app, alias, target):
    group_name, command_name = target
    context = click.Context(app.cli)
    old = app.cli.get_command(context, alias)
    new = app.cli.get_command(context, group_name).commands[command_name]
    assert old.hidden and not new.hidden
    assert old.callback is new.callback and old.params == new.params


def test_an_alias_runs_its_command(runner):
    result = runner.invoke(args=["purge-newsletter", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "0 address(es) erased." in result.output


def test_the_readme_lists_every_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [
        f"flask {group.name} {name}"
        for group in groups()
        for name in group.commands
        if f"flask {group.name} {name}" not in readme
    ]
    assert not missing
