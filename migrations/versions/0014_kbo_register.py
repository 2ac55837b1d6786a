"""KBO/BCE register: the enterprises, names, registered seats and code labels of the open data, and its imports

Administrators compare an organisation with the register when they verify it. The tables are filled by an import
of a full extract (`flask kbo import`), which replaces what was there; they start empty.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 09:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "kbo_enterprise",
        sa.Column("number", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=4), nullable=False),
        sa.Column("juridical_situation", sa.String(length=4), nullable=False),
        sa.Column("type_of_enterprise", sa.String(length=2), nullable=False),
        sa.Column("juridical_form", sa.String(length=4), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_kbo_enterprise")),
    )
    op.create_table(
        "kbo_denomination",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=10), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("type", sa.String(length=4), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kbo_denomination")),
    )
    with op.batch_alter_table("kbo_denomination", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kbo_denomination_number"), ["number"], unique=False)

    op.create_table(
        "kbo_address",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=10), nullable=False),
        sa.Column("country_nl", sa.Text(), nullable=False),
        sa.Column("country_fr", sa.Text(), nullable=False),
        sa.Column("zipcode", sa.Text(), nullable=False),
        sa.Column("municipality_nl", sa.Text(), nullable=False),
        sa.Column("municipality_fr", sa.Text(), nullable=False),
        sa.Column("street_nl", sa.Text(), nullable=False),
        sa.Column("street_fr", sa.Text(), nullable=False),
        sa.Column("house_number", sa.Text(), nullable=False),
        sa.Column("box", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kbo_address")),
    )
    with op.batch_alter_table("kbo_address", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kbo_address_number"), ["number"], unique=False)

    op.create_table(
        "kbo_code",
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("category", "code", "language", name=op.f("pk_kbo_code")),
    )
    op.create_table(
        "kbo_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("snapshot_date", sa.Date(), nullable=True),
        sa.Column("extract_number", sa.Integer(), nullable=True),
        sa.Column("extract_timestamp", sa.String(length=40), nullable=False),
        sa.Column("version", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("enterprises", sa.Integer(), nullable=False),
        sa.Column("denominations", sa.Integer(), nullable=False),
        sa.Column("addresses", sa.Integer(), nullable=False),
        sa.Column("codes", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'done', 'failed')", name=op.f("ck_kbo_import_status_valid")
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["job.id"], name=op.f("fk_kbo_import_job_id_job"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kbo_import")),
    )
    with op.batch_alter_table("kbo_import", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kbo_import_job_id"), ["job_id"], unique=False)


def downgrade():
    with op.batch_alter_table("kbo_import", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kbo_import_job_id"))
    op.drop_table("kbo_import")
    op.drop_table("kbo_code")
    with op.batch_alter_table("kbo_address", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kbo_address_number"))
    op.drop_table("kbo_address")
    with op.batch_alter_table("kbo_denomination", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kbo_denomination_number"))
    op.drop_table("kbo_denomination")
    op.drop_table("kbo_enterprise")
