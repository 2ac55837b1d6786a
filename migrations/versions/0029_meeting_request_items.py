"""issue 15: a meeting request records the offering and need it was made about; a need may allow private conversations beside public questions

`meeting_request.offering_id` and `need_id` (nullable, SET NULL when the item is deleted: the request stays
readable). `need.private_conversations` (default true); needs that answered questions publicly until now
refused private conversations, so they start with it off and keep their behaviour.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 14:35:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("meeting_request") as batch:
        batch.add_column(sa.Column("offering_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("need_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_meeting_request_offering_id_offering"),
            "offering",
            ["offering_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_foreign_key(
            batch.f("fk_meeting_request_need_id_need"), "need", ["need_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index(batch.f("ix_meeting_request_offering_id"), ["offering_id"], unique=False)
        batch.create_index(batch.f("ix_meeting_request_need_id"), ["need_id"], unique=False)

    with op.batch_alter_table("need") as batch:
        batch.add_column(
            sa.Column("private_conversations", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    need = sa.table("need", sa.column("public_questions", sa.Boolean()), sa.column("private_conversations"))
    op.execute(need.update().where(need.c.public_questions == sa.true()).values(private_conversations=False))


def downgrade():
    with op.batch_alter_table("need") as batch:
        batch.drop_column("private_conversations")
    with op.batch_alter_table("meeting_request") as batch:
        batch.drop_index(batch.f("ix_meeting_request_need_id"))
        batch.drop_index(batch.f("ix_meeting_request_offering_id"))
        batch.drop_constraint(batch.f("fk_meeting_request_need_id_need"), type_="foreignkey")
        batch.drop_constraint(batch.f("fk_meeting_request_offering_id_offering"), type_="foreignkey")
        batch.drop_column("need_id")
        batch.drop_column("offering_id")
