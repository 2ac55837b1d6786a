"""joining an organisation: the mail domains of government organisations, and requests to join

A mail domain belongs to one organisation at most; a person has one pending request at most (a partial
unique index, on SQLite and PostgreSQL).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 10:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade():
    op.create_table(
        "organisation_mail_domain",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_organisation_mail_domain_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_organisation_mail_domain_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_mail_domain")),
        sa.UniqueConstraint("domain", name=op.f("uq_organisation_mail_domain_domain")),
    )
    with op.batch_alter_table("organisation_mail_domain") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organisation_mail_domain_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "join_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'declined', 'withdrawn')",
            name=op.f("ck_join_request_status_valid"),
        ),
        sa.CheckConstraint(
            "(status = 'pending') = (decided_at IS NULL)", name=op.f("ck_join_request_decided_unless_pending")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_join_request_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_join_request_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_join_request_decided_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_join_request")),
    )
    with op.batch_alter_table("join_request") as batch_op:
        batch_op.create_index(batch_op.f("ix_join_request_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_join_request_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(
            "uq_join_request_pending_user",
            ["user_id"],
            unique=True,
            sqlite_where=PENDING,
            postgresql_where=PENDING,
        )


def downgrade():
    with op.batch_alter_table("join_request") as batch_op:
        batch_op.drop_index("uq_join_request_pending_user", sqlite_where=PENDING, postgresql_where=PENDING)
        batch_op.drop_index(batch_op.f("ix_join_request_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_join_request_user_id"))
    op.drop_table("join_request")

    with op.batch_alter_table("organisation_mail_domain") as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisation_mail_domain_organisation_id"))
    op.drop_table("organisation_mail_domain")
