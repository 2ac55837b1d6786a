"""organisation verification: unverified, verified or suspended, with who decided it, when and why

Organisations registered before verification existed are marked verified (their figures were public already);
administrators suspend the ones that should not be.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 04:40:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("organisation") as batch:
        batch.add_column(
            sa.Column("verification", sa.String(length=10), server_default="unverified", nullable=False)
        )
        batch.add_column(sa.Column("verified_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("verified_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("verification_reason", sa.Text(), server_default="", nullable=False))
        batch.create_index(batch.f("ix_organisation_verification"), ["verification"], unique=False)
        batch.create_foreign_key(
            batch.f("fk_organisation_verified_by_id_user_account"),
            "user_account",
            ["verified_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_check_constraint(
            batch.f("ck_organisation_verification_valid"), "verification IN ('unverified', 'verified', 'suspended')"
        )
    op.execute(
        "UPDATE organisation SET verification = 'verified', verified_at = CURRENT_TIMESTAMP, "
        "verification_reason = 'Registered before organisations were verified.'"
    )


def downgrade():
    with op.batch_alter_table("organisation") as batch:
        batch.drop_constraint(batch.f("ck_organisation_verification_valid"), type_="check")
        batch.drop_constraint(batch.f("fk_organisation_verified_by_id_user_account"), type_="foreignkey")
        batch.drop_index(batch.f("ix_organisation_verification"))
        batch.drop_column("verification_reason")
        batch.drop_column("verified_by_id")
        batch.drop_column("verified_at")
        batch.drop_column("verification")
