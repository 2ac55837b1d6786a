"""server-side sessions: one row per login, which the cookies name by a random secret

The session and remember-me cookies carried `user_id:auth_version`: a deleted account's cookies opened the next
account given the same id (SQLite reuses the highest freed one) and a copied cookie outlived the logout. They now
carry a random secret whose SHA-256 is stored in `user_session`; logging out, a new password, deactivation and
deleting the account delete the rows, so `auth_version` goes. Everyone is logged out once by this upgrade.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08 07:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("remember", sa.Boolean(), nullable=False),
        sa.Column("browser", sa.String(length=40), nullable=False),
        sa.Column("system", sa.String(length=40), nullable=False),
        sa.Column("ip_address", sa.String(length=45), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_user_session_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_session_token_hash")),
    )
    with op.batch_alter_table("user_session") as batch:
        batch.create_index(batch.f("ix_user_session_user_id"), ["user_id"], unique=False)
        batch.create_index(batch.f("ix_user_session_expires_at"), ["expires_at"], unique=False)
    # Not in batch mode: on SQLite that would copy user_account into a new table and drop the old one, and
    # with foreign keys on, the drop cascades to every row that refers to a user. SQLite (3.35+) and
    # PostgreSQL both drop a column in place.
    op.drop_column("user_account", "auth_version")


def downgrade():
    op.add_column("user_account", sa.Column("auth_version", sa.Integer(), server_default="1", nullable=False))
    with op.batch_alter_table("user_session") as batch:
        batch.drop_index(batch.f("ix_user_session_expires_at"))
        batch.drop_index(batch.f("ix_user_session_user_id"))
    op.drop_table("user_session")
