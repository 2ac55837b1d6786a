"""the history of an organisation's public record, and the review of a year whose spend exceeds its budget

Every change to a year's budget, a project, a charter signature, a meeting outcome or a verification is
recorded with who made it, when, and the values before and after (administrators read it and can undo).
A year whose innovation spend is above its budget needs an explanation and waits for an administrator's
review (`needs_review`) before it counts in the public figures.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 07:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "change_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("old", sa.JSON(), nullable=True),
        sa.Column("new", sa.JSON(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("undo_of_id", sa.Integer(), nullable=True),
        sa.Column("undone_at", sa.DateTime(), nullable=True),
        sa.Column("undone_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "subject IN ('year', 'project', 'signature', 'outcome', 'verification', 'organisation')",
            name=op.f("ck_change_record_subject_valid"),
        ),
        sa.CheckConstraint(
            "action IN ('created', 'changed', 'deleted')", name=op.f("ck_change_record_action_valid")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_change_record_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["user_account.id"], name=op.f("fk_change_record_actor_id_user_account"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["undo_of_id"],
            ["change_record.id"],
            name=op.f("fk_change_record_undo_of_id_change_record"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["undone_by_id"],
            ["user_account.id"],
            name=op.f("fk_change_record_undone_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_record")),
    )
    with op.batch_alter_table("change_record") as batch:
        batch.create_index("ix_change_record_organisation_at", ["organisation_id", "at"], unique=False)

    with op.batch_alter_table("procurement_year") as batch:
        batch.add_column(sa.Column("explanation", sa.Text(), server_default="", nullable=False))
        batch.add_column(sa.Column("needs_review", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column("reviewed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("reviewed_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_procurement_year_reviewed_by_id_user_account"),
            "user_account",
            ["reviewed_by_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("procurement_year") as batch:
        batch.drop_constraint(batch.f("fk_procurement_year_reviewed_by_id_user_account"), type_="foreignkey")
        batch.drop_column("reviewed_by_id")
        batch.drop_column("reviewed_at")
        batch.drop_column("needs_review")
        batch.drop_column("explanation")
    with op.batch_alter_table("change_record") as batch:
        batch.drop_index("ix_change_record_organisation_at")
    op.drop_table("change_record")
