"""one-use anti-spam stamps: a row per stamp a public form (contact, newsletter) was acted on with

One stamp could send any number of contact messages (or newsletter subscriptions) for a day. A stamp now has
a random part, and the route records it here as it acts on the form: the primary key lets one sending of a
stamp through, also when two arrive at the same moment. Rows older than any accepted stamp are purged daily.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08 09:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "used_stamp",
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_used_stamp")),
    )
    with op.batch_alter_table("used_stamp") as batch:
        batch.create_index(batch.f("ix_used_stamp_used_at"), ["used_at"], unique=False)


def downgrade():
    with op.batch_alter_table("used_stamp") as batch:
        batch.drop_index(batch.f("ix_used_stamp_used_at"))
    op.drop_table("used_stamp")
