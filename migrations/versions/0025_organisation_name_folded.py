"""organisation.name_folded: the name as searches compare it; event.calendar_sequence for the event's .ics

Searches for organisations (joining one, the administrators' list, the header's site search) compared the
typed words with the name as written, so 'energie' did not find 'Bruxelles Énergie' (and on SQLite not even
'ÉNERGIE'). The model keeps this column equal to textutil.fold(name); existing rows are folded here.

The event's calendar file named its entries by their date and carried no SEQUENCE, so an event moved to
another day became a second entry in calendars. event.calendar_sequence counts the changes.

Revision ID: 0025
Revises: 0021
Create Date: 2026-12-07 09:10:00

"""

import sqlalchemy as sa
from alembic import op

from matchmaker.textutil import fold

# revision identifiers, used by Alembic.
revision = "0025"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("organisation") as batch:
        batch.add_column(sa.Column("name_folded", sa.String(length=200), server_default="", nullable=False))
    connection = op.get_bind()
    organisation = sa.table("organisation", sa.column("id"), sa.column("name"), sa.column("name_folded"))
    rows = connection.execute(sa.select(organisation.c.id, organisation.c.name)).all()
    for row in rows:
        connection.execute(
            organisation.update()
            .where(organisation.c.id == row.id)
            .values(name_folded=fold(row.name)[:200])
        )


    with op.batch_alter_table("event") as batch:
        batch.add_column(sa.Column("calendar_sequence", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("event") as batch:
        batch.drop_column("calendar_sequence")
    with op.batch_alter_table("organisation") as batch:
        batch.drop_column("name_folded")
