"""check-in on the event day: a short code per registration and one arrival row per participant

The organizer checks participants in by scanning the QR code on their agenda or badge, typing its short code
or finding their name. `registration.checkin_code` is that code (unique within the event); `check_in` records who
arrived, when and who checked them in, one row per registration so that two organizers scanning the same badge
at once record one arrival.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 09:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("registration") as batch:
        batch.add_column(sa.Column("checkin_code", sa.String(length=12), nullable=True))
        batch.create_unique_constraint(
            op.f("uq_registration_event_id_checkin_code"), ["event_id", "checkin_code"]
        )
    op.create_table(
        "check_in",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("checked_in_by_id", sa.Integer(), nullable=True),
        sa.Column("arrived_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_check_in_event_id_event"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_check_in_registration_id_registration"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["checked_in_by_id"],
            ["user_account.id"],
            name=op.f("fk_check_in_checked_in_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_in")),
        sa.UniqueConstraint("registration_id", name=op.f("uq_check_in_registration_id")),
    )
    with op.batch_alter_table("check_in") as batch:
        batch.create_index(batch.f("ix_check_in_event_id"), ["event_id"], unique=False)


def downgrade():
    op.drop_table("check_in")
    with op.batch_alter_table("registration") as batch:
        batch.drop_constraint(op.f("uq_registration_event_id_checkin_code"), type_="unique")
        batch.drop_column("checkin_code")
