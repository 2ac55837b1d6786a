"""conversations between organisations about a need or an offering, and public questions on needs

A conversation is between the organisation of the user who starts it and the organisation of its subject (a
need or an offering: exactly one is set), with its messages, each user's read position, the users an
organisation blocked, and reports to the administrators. A buyer may choose per need that questions are
answered publicly (`need.public_questions`, `need_question`).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 07:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "conversation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("starter_organisation_id", sa.Integer(), nullable=False),
        sa.Column("recipient_organisation_id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=True),
        sa.Column("offering_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_message_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_conversation_status_valid")),
        sa.CheckConstraint(
            "(need_id IS NULL AND offering_id IS NOT NULL) OR (need_id IS NOT NULL AND offering_id IS NULL)",
            name=op.f("ck_conversation_one_subject"),
        ),
        sa.CheckConstraint(
            "starter_organisation_id <> recipient_organisation_id", name=op.f("ck_conversation_two_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user_account.id"],
            name=op.f("fk_conversation_created_by_id_user_account"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["need_id"], ["need.id"], name=op.f("fk_conversation_need_id_need"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["offering_id"], ["offering.id"], name=op.f("fk_conversation_offering_id_offering"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recipient_organisation_id"], ["organisation.id"],
            name=op.f("fk_conversation_recipient_organisation_id_organisation"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["starter_organisation_id"], ["organisation.id"],
            name=op.f("fk_conversation_starter_organisation_id_organisation"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation")),
        sa.UniqueConstraint("starter_organisation_id", "need_id", name="uq_conversation_starter_need"),
        sa.UniqueConstraint("starter_organisation_id", "offering_id", name="uq_conversation_starter_offering"),
    )
    with op.batch_alter_table("conversation") as batch:
        batch.create_index("ix_conversation_created_by_created_at", ["created_by_id", "created_at"], unique=False)
        batch.create_index(batch.f("ix_conversation_need_id"), ["need_id"], unique=False)
        batch.create_index(batch.f("ix_conversation_offering_id"), ["offering_id"], unique=False)
        batch.create_index(
            "ix_conversation_recipient_last_message", ["recipient_organisation_id", "last_message_at"], unique=False
        )
        batch.create_index(
            "ix_conversation_starter_last_message", ["starter_organisation_id", "last_message_at"], unique=False
        )

    op.create_table(
        "conversation_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_organisation_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("length(body) <= 5000", name=op.f("ck_conversation_message_body_length")),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user_account.id"],
            name=op.f("fk_conversation_message_author_id_user_account"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["author_organisation_id"], ["organisation.id"],
            name=op.f("fk_conversation_message_author_organisation_id_organisation"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversation.id"],
            name=op.f("fk_conversation_message_conversation_id_conversation"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_message")),
    )
    with op.batch_alter_table("conversation_message") as batch:
        batch.create_index(
            "ix_conversation_message_author_id_created_at", ["author_id", "created_at"], unique=False
        )
        batch.create_index("ix_conversation_message_conversation_id_id", ["conversation_id", "id"], unique=False)

    op.create_table(
        "conversation_read",
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("last_read_message_id", sa.Integer(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversation.id"],
            name=op.f("fk_conversation_read_conversation_id_conversation"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_conversation_read_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("conversation_id", "user_id", name=op.f("pk_conversation_read")),
    )

    op.create_table(
        "conversation_block",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("blocked_user_id", sa.Integer(), nullable=False),
        sa.Column("blocked_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["blocked_by_id"], ["user_account.id"],
            name=op.f("fk_conversation_block_blocked_by_id_user_account"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["blocked_user_id"], ["user_account.id"],
            name=op.f("fk_conversation_block_blocked_user_id_user_account"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisation.id"],
            name=op.f("fk_conversation_block_organisation_id_organisation"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_block")),
        sa.UniqueConstraint(
            "organisation_id", "blocked_user_id", name=op.f("uq_conversation_block_organisation_id_blocked_user_id")
        ),
    )
    with op.batch_alter_table("conversation_block") as batch:
        batch.create_index(batch.f("ix_conversation_block_blocked_user_id"), ["blocked_user_id"], unique=False)

    op.create_table(
        "conversation_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("handled_at", sa.DateTime(), nullable=True),
        sa.Column("handled_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversation.id"],
            name=op.f("fk_conversation_report_conversation_id_conversation"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["handled_by_id"], ["user_account.id"],
            name=op.f("fk_conversation_report_handled_by_id_user_account"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"], ["user_account.id"],
            name=op.f("fk_conversation_report_reporter_id_user_account"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_report")),
    )
    with op.batch_alter_table("conversation_report") as batch:
        batch.create_index(batch.f("ix_conversation_report_conversation_id"), ["conversation_id"], unique=False)
        batch.create_index(batch.f("ix_conversation_report_handled_at"), ["handled_at"], unique=False)

    op.create_table(
        "need_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("asked_by_id", sa.Integer(), nullable=True),
        sa.Column("asker_organisation_id", sa.Integer(), nullable=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "answer IS NULL OR length(answer) <= 5000", name=op.f("ck_need_question_answer_length")
        ),
        sa.CheckConstraint("length(question) <= 5000", name=op.f("ck_need_question_question_length")),
        sa.ForeignKeyConstraint(
            ["answered_by_id"], ["user_account.id"],
            name=op.f("fk_need_question_answered_by_id_user_account"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["asked_by_id"], ["user_account.id"],
            name=op.f("fk_need_question_asked_by_id_user_account"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["asker_organisation_id"], ["organisation.id"],
            name=op.f("fk_need_question_asker_organisation_id_organisation"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["need_id"], ["need.id"], name=op.f("fk_need_question_need_id_need"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_need_question")),
    )
    with op.batch_alter_table("need_question") as batch:
        batch.create_index("ix_need_question_asked_by_id_created_at", ["asked_by_id", "created_at"], unique=False)
        batch.create_index(batch.f("ix_need_question_need_id"), ["need_id"], unique=False)

    with op.batch_alter_table("need") as batch:
        batch.add_column(sa.Column("public_questions", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table("need") as batch:
        batch.drop_column("public_questions")
    op.drop_table("need_question")
    op.drop_table("conversation_report")
    op.drop_table("conversation_block")
    op.drop_table("conversation_read")
    op.drop_table("conversation_message")
    op.drop_table("conversation")
