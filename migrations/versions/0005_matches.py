"""matches: a need x offering pair with each side's interest and an explanation snapshot

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 18:30:33.651751

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('match',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('offering_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('explanation', sa.JSON(), nullable=False),
    sa.Column('buyer_interest', sa.Boolean(), nullable=True),
    sa.Column('buyer_decided_at', sa.DateTime(), nullable=True),
    sa.Column('buyer_decided_by_id', sa.Integer(), nullable=True),
    sa.Column('supplier_interest', sa.Boolean(), nullable=True),
    sa.Column('supplier_decided_at', sa.DateTime(), nullable=True),
    sa.Column('supplier_decided_by_id', sa.Integer(), nullable=True),
    sa.Column('mutual_since', sa.DateTime(), nullable=True),
    sa.Column('notified_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('score >= 0 AND score <= 1', name=op.f('ck_match_score_range')),
    sa.ForeignKeyConstraint(['buyer_decided_by_id'], ['user_account.id'], name=op.f('fk_match_buyer_decided_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['need_id'], ['need.id'], name=op.f('fk_match_need_id_need'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['offering_id'], ['offering.id'], name=op.f('fk_match_offering_id_offering'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['supplier_decided_by_id'], ['user_account.id'], name=op.f('fk_match_supplier_decided_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match')),
    sa.UniqueConstraint('need_id', 'offering_id', name=op.f('uq_match_need_id_offering_id'))
    )
    with op.batch_alter_table('match', schema=None) as batch_op:
        batch_op.create_index('ix_match_mutual_since', ['mutual_since'], unique=False)
        batch_op.create_index(batch_op.f('ix_match_need_id'), ['need_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_match_offering_id'), ['offering_id'], unique=False)


def downgrade():
    with op.batch_alter_table('match', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_match_offering_id'))
        batch_op.drop_index(batch_op.f('ix_match_need_id'))
        batch_op.drop_index('ix_match_mutual_since')

    op.drop_table('match')
