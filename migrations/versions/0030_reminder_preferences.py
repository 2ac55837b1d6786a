"""issue 16: each user's own reminder lead time and in-app reminder setting

- notification_preference.reminder_minutes: how many minutes before each meeting the user wants a reminder
  (NULL: the event's default, event.reminder_minutes; 0: none), within the range an event may set;
- notification_preference.reminder_in_app: whether reminders come in the app (mails have reminder_mails).

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 14:35:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notification_preference") as batch:
        batch.add_column(sa.Column("reminder_minutes", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("reminder_in_app", sa.Boolean(), server_default=sa.true(), nullable=False))
        batch.create_check_constraint(
            batch.f("ck_notification_preference_reminder_minutes_range"),
            "reminder_minutes IS NULL OR (reminder_minutes >= 0 AND reminder_minutes <= 1440)",
        )


def downgrade():
    with op.batch_alter_table("notification_preference") as batch:
        batch.drop_constraint(batch.f("ck_notification_preference_reminder_minutes_range"), type_="check")
        batch.drop_column("reminder_in_app")
        batch.drop_column("reminder_minutes")
