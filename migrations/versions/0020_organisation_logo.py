"""organisation logos: the re-encoded image in its own table, its version on the organisation

An organisation's administrators upload a logo; the platform keeps only its own re-encoding of it (a PNG of at
most 256 x 256 pixels, without the upload's metadata) in organisation_logo, in the database so that every web
server serves the same one. organisation.logo_version is the logo's content hash: pages that list
organisations show logos, with a versioned address, without a query per row.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-08 12:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "organisation_logo",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("mime_type", sa.String(length=40), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("width > 0 AND height > 0", name=op.f("ck_organisation_logo_dimensions_positive")),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_organisation_logo_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organisation_id", name=op.f("pk_organisation_logo")),
    )
    with op.batch_alter_table("organisation") as batch:
        batch.add_column(sa.Column("logo_version", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("organisation") as batch:
        batch.drop_column("logo_version")
    op.drop_table("organisation_logo")
