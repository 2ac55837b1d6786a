""" "did you find what you were looking for?" answers per page (issue 19)

One anonymous row per answer: the page's path, the language, yes or no, an optional comment and the month
(no account, no address, no exact time).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 11:45:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "page_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("found", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("month", sa.Date(), nullable=False),
        sa.CheckConstraint("language IN ('nl', 'fr', 'en')", name=op.f("ck_page_feedback_language_valid")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_feedback")),
    )
    with op.batch_alter_table("page_feedback") as batch:
        batch.create_index("ix_page_feedback_month_path", ["month", "path"], unique=False)
        batch.create_index(batch.f("ix_page_feedback_path"), ["path"], unique=False)


def downgrade():
    with op.batch_alter_table("page_feedback") as batch:
        batch.drop_index(batch.f("ix_page_feedback_path"))
        batch.drop_index("ix_page_feedback_month_path")
    op.drop_table("page_feedback")
