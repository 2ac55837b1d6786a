"""organisation.description_folded: the description as the site search compares it

The header's search finds organisations by their description too, but compared the typed (folded) words with
the description as written, so 'economie' did not find a description saying 'économie'. The model keeps this
column equal to textutil.fold(description), as it does name_folded for the name; existing rows are folded here.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07 18:40:00

"""

import sqlalchemy as sa
from alembic import op

from matchmaker.textutil import fold

# revision identifiers, used by Alembic.
revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("organisation") as batch:
        batch.add_column(sa.Column("description_folded", sa.Text(), server_default="", nullable=False))
    connection = op.get_bind()
    organisation = sa.table(
        "organisation", sa.column("id"), sa.column("description"), sa.column("description_folded")
    )
    rows = connection.execute(
        sa.select(organisation.c.id, organisation.c.description).where(organisation.c.description != "")
    ).all()
    for row in rows:
        connection.execute(
            organisation.update()
            .where(organisation.c.id == row.id)
            .values(description_folded=fold(row.description))
        )


def downgrade():
    with op.batch_alter_table("organisation") as batch:
        batch.drop_column("description_folded")
