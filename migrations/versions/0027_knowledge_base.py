"""knowledge base: articles per topic and route in nl/fr/en, an editor role, support requests (issue 19)

- kb_article, kb_article_translation (one row per language), kb_article_revision (who changed what when),
  kb_article_template (documents to download with an article: the files are in the document table);
- support_request and support_message: a need's organisation asks the knowledge network for guidance;
- user_role accepts the new role knowledge_editor.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 11:45:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

ROUTES = (
    "procurement_route IS NULL OR procurement_route IN ('market_consultation', 'pre_commercial_procurement', "
    "'public_procurement_of_innovation', 'innovation_partnership', 'competitive_dialogue')"
)


def upgrade():
    op.create_table(
        "kb_article",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("topic", sa.String(length=30), nullable=False),
        sa.Column("procurement_route", sa.String(length=40), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("languages", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "topic IN ('getting_started', 'procurement_routes', 'market_dialogue', 'policy_and_funding', "
            "'contracts_and_ip')",
            name=op.f("ck_kb_article_topic_valid"),
        ),
        sa.CheckConstraint(ROUTES, name=op.f("ck_kb_article_procurement_route_valid")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_kb_article_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_kb_article_updated_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_article")),
        sa.UniqueConstraint("slug", name=op.f("uq_kb_article_slug")),
    )
    op.create_index("ix_kb_article_published_route", "kb_article", ["published", "procurement_route"])
    op.create_table(
        "kb_article_translation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "language IN ('nl', 'fr', 'en')", name=op.f("ck_kb_article_translation_language_valid")
        ),
        sa.CheckConstraint("title <> ''", name=op.f("ck_kb_article_translation_title_required")),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["kb_article.id"],
            name=op.f("fk_kb_article_translation_article_id_kb_article"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_article_translation")),
        sa.UniqueConstraint(
            "article_id", "language", name=op.f("uq_kb_article_translation_article_id_language")
        ),
    )
    op.create_table(
        "kb_article_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "action IN ('created', 'edited', 'published', 'unpublished')",
            name=op.f("ck_kb_article_revision_action_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["user_account.id"],
            name=op.f("fk_kb_article_revision_actor_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["kb_article.id"],
            name=op.f("fk_kb_article_revision_article_id_kb_article"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_article_revision")),
    )
    op.create_index("ix_kb_article_revision_article_at", "kb_article_revision", ["article_id", "at"])
    op.create_table(
        "kb_article_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "language IS NULL OR language IN ('nl', 'fr', 'en')",
            name=op.f("ck_kb_article_template_language_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["kb_article.id"],
            name=op.f("fk_kb_article_template_article_id_kb_article"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["document.id"],
            name=op.f("fk_kb_article_template_document_id_document"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_article_template")),
        sa.UniqueConstraint("document_id", name=op.f("uq_kb_article_template_document_id")),
    )
    op.create_index(op.f("ix_kb_article_template_article_id"), "kb_article_template", ["article_id"])
    op.create_table(
        "support_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("asked_by_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_message_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'answered', 'closed')", name=op.f("ck_support_request_status_valid")
        ),
        sa.ForeignKeyConstraint(
            ["asked_by_id"],
            ["user_account.id"],
            name=op.f("fk_support_request_asked_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["need_id"], ["need.id"], name=op.f("fk_support_request_need_id_need"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_support_request_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_request")),
    )
    op.create_index(op.f("ix_support_request_need_id"), "support_request", ["need_id"])
    op.create_index(op.f("ix_support_request_organisation_id"), "support_request", ["organisation_id"])
    op.create_index(
        "ix_support_request_status_last_message", "support_request", ["status", "last_message_at"]
    )
    op.create_index("ix_support_request_asked_by_created", "support_request", ["asked_by_id", "created_at"])
    op.create_table(
        "support_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("from_network", sa.Boolean(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("length(body) <= 5000", name=op.f("ck_support_message_body_length")),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user_account.id"],
            name=op.f("fk_support_message_author_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["support_request.id"],
            name=op.f("fk_support_message_request_id_support_request"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_message")),
    )
    op.create_index(op.f("ix_support_message_request_id"), "support_message", ["request_id"])
    with op.batch_alter_table("user_role") as batch:
        batch.drop_constraint(batch.f("ck_user_role_role_valid"), type_="check")
        batch.create_check_constraint(
            batch.f("ck_user_role_role_valid"),
            "role IN ('supplier', 'buyer', 'organizer', 'admin', 'knowledge_editor')",
        )


def downgrade():
    op.execute("DELETE FROM user_role WHERE role = 'knowledge_editor'")
    with op.batch_alter_table("user_role") as batch:
        batch.drop_constraint(batch.f("ck_user_role_role_valid"), type_="check")
        batch.create_check_constraint(
            batch.f("ck_user_role_role_valid"), "role IN ('supplier', 'buyer', 'organizer', 'admin')"
        )
    op.drop_table("support_message")
    op.drop_table("support_request")
    op.drop_table("kb_article_template")
    op.drop_table("kb_article_revision")
    op.drop_table("kb_article_translation")
    op.drop_table("kb_article")
