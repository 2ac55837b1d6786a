"""issue 16: an event's team (co-organizers and check-in staff)

Several people run an event's day: co-organizers manage it as its organizer does, check-in staff check
participants in at the door. One row per (event, user), unique, so that adding the same person twice (or
twice at once) records one membership.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07 14:35:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "event_staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("role IN ('co_organizer', 'check_in')", name=op.f("ck_event_staff_role_valid")),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_event_staff_event_id_event"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_event_staff_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["added_by_id"],
            ["user_account.id"],
            name=op.f("fk_event_staff_added_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_staff")),
        sa.UniqueConstraint("event_id", "user_id", name=op.f("uq_event_staff_event_id_user_id")),
    )
    with op.batch_alter_table("event_staff") as batch:
        batch.create_index(batch.f("ix_event_staff_event_id"), ["event_id"], unique=False)
        batch.create_index(batch.f("ix_event_staff_user_id"), ["user_id"], unique=False)


def downgrade():
    op.drop_table("event_staff")
