"""match_item.listed: how many rows each item's list holds, so that a change need not count them

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 03:40:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("match_item") as batch:
        batch.add_column(sa.Column("listed", sa.Integer(), server_default="0", nullable=False))
    # Count the lists of the generations already stored (the same rule as the index: positive scores at or
    # above the item's kth, with the same allowance for rounding).
    for kind, column in (("need", "need_id"), ("offering", "offering_id")):
        op.execute(
            f"""
            UPDATE match_item SET listed = (
                SELECT count(*) FROM match_pair
                WHERE match_pair.generation = match_item.generation
                  AND match_pair.{column} = match_item.item_id
                  AND match_pair.score > 0
                  AND match_pair.score >= match_item.kth_score - 0.000001
            )
            WHERE match_item.kind = '{kind}'
            """
        )


def downgrade():
    with op.batch_alter_table("match_item") as batch:
        batch.drop_column("listed")
