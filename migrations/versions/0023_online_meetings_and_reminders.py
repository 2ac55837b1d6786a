"""online and hybrid meetings, and reminders before the event and before each meeting (issue 16)

- event.attendance_mode (on site, online, hybrid), event.meeting_link_pattern (one link per meeting) and
  event.reminder_minutes (minutes before each meeting that its participants are reminded; 0: never);
- event_table.online_url: a table that is a virtual room;
- meeting.room_token: the unguessable part of a generated meeting link (existing meetings get one here);
- notification_preference.reminder_mails: a user's choice to get reminder mails or not;
- reminder_sent: one row per reminder sent, unique per (registration, kind, key), written with its mail.

Revision ID: 0023
Revises: 0025 (the head when this was written: 0022 did not exist and 0025 revises 0021, so revising 0021
as well would have left two heads)
Create Date: 2026-12-07 09:10:00

"""

import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0023"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("event") as batch:
        batch.add_column(
            sa.Column("attendance_mode", sa.String(length=10), server_default="on_site", nullable=False)
        )
        batch.add_column(
            sa.Column("meeting_link_pattern", sa.String(length=500), server_default="", nullable=False)
        )
        batch.add_column(sa.Column("reminder_minutes", sa.Integer(), server_default="10", nullable=False))
        batch.create_check_constraint(
            batch.f("ck_event_attendance_mode_valid"), "attendance_mode IN ('on_site', 'online', 'hybrid')"
        )
        batch.create_check_constraint(
            batch.f("ck_event_reminder_minutes_range"), "reminder_minutes >= 0 AND reminder_minutes <= 1440"
        )
    with op.batch_alter_table("event_table") as batch:
        batch.add_column(sa.Column("online_url", sa.String(length=500), server_default="", nullable=False))
    with op.batch_alter_table("meeting") as batch:
        batch.add_column(sa.Column("room_token", sa.String(length=32), nullable=True))
    connection = op.get_bind()
    meeting = sa.table("meeting", sa.column("id"), sa.column("room_token"))
    for (meeting_id,) in connection.execute(sa.select(meeting.c.id)).all():
        connection.execute(
            sa.update(meeting).where(meeting.c.id == meeting_id).values(room_token=secrets.token_hex(12))
        )
    with op.batch_alter_table("meeting") as batch:
        batch.alter_column("room_token", existing_type=sa.String(length=32), nullable=False)
    with op.batch_alter_table("notification_preference") as batch:
        batch.add_column(sa.Column("reminder_mails", sa.Boolean(), server_default=sa.true(), nullable=False))
    op.create_table(
        "reminder_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('day_before', 'meeting')", name=op.f("ck_reminder_sent_kind_valid")),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_reminder_sent_event_id_event"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_reminder_sent_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_reminder_sent_registration_id_registration"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_sent")),
        sa.UniqueConstraint(
            "registration_id", "kind", "key", name=op.f("uq_reminder_sent_registration_id_kind_key")
        ),
    )
    with op.batch_alter_table("reminder_sent") as batch:
        batch.create_index(batch.f("ix_reminder_sent_event_id"), ["event_id"], unique=False)
        batch.create_index(batch.f("ix_reminder_sent_meeting_id"), ["meeting_id"], unique=False)


def downgrade():
    op.drop_table("reminder_sent")
    with op.batch_alter_table("notification_preference") as batch:
        batch.drop_column("reminder_mails")
    with op.batch_alter_table("meeting") as batch:
        batch.drop_column("room_token")
    with op.batch_alter_table("event_table") as batch:
        batch.drop_column("online_url")
    with op.batch_alter_table("event") as batch:
        batch.drop_constraint(batch.f("ck_event_reminder_minutes_range"), type_="check")
        batch.drop_constraint(batch.f("ck_event_attendance_mode_valid"), type_="check")
        batch.drop_column("reminder_minutes")
        batch.drop_column("meeting_link_pattern")
        batch.drop_column("attendance_mode")
