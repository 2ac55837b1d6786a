"""match_profile: the matching index's item profiles leave match_item

A published offering enters the lists of thousands of needs, and each entry is an update of one match_item
row (`listed`). With the item's profile (about 2 KB of JSON) in the same row, PostgreSQL copied each of those
rows whole; without it a row is some sixty bytes. The profiles of live items move to their own table.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07 20:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "match_profile",
        sa.Column("generation", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("item_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("generation", "kind", "item_id", name=op.f("pk_match_profile")),
    )
    op.execute(
        "INSERT INTO match_profile (generation, kind, item_id, profile) "
        "SELECT generation, kind, item_id, profile FROM match_item WHERE live AND profile IS NOT NULL"
    )
    with op.batch_alter_table("match_item") as batch:
        batch.drop_column("profile")


def downgrade():
    with op.batch_alter_table("match_item") as batch:
        batch.add_column(sa.Column("profile", sa.JSON(), nullable=True))
    op.execute(
        "UPDATE match_item SET profile = (SELECT p.profile FROM match_profile p WHERE p.generation = "
        "match_item.generation AND p.kind = match_item.kind AND p.item_id = match_item.item_id)"
    )
    op.drop_table("match_profile")
