"""matching index: the shared index kept by the workers (state, fitted models, items, stored pairs)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 21:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('match_index_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=True),
    sa.Column('building', sa.Integer(), nullable=True),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('fitted_at', sa.DateTime(), nullable=True),
    sa.Column('changed_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_index_state'))
    )
    op.create_table('match_model',
    sa.Column('generation', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('items', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('generation', name=op.f('pk_match_model'))
    )
    op.create_table('match_item',
    sa.Column('generation', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('item_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('live', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('kth_score', sa.Float(), nullable=False),
    sa.Column('profile', sa.JSON(), nullable=True),
    sa.CheckConstraint("kind IN ('need', 'offering')", name=op.f('ck_match_item_kind')),
    sa.PrimaryKeyConstraint('generation', 'kind', 'item_id', name=op.f('pk_match_item'))
    )
    with op.batch_alter_table('match_item', schema=None) as batch_op:
        batch_op.create_index('ix_match_item_generation_seq', ['generation', 'seq'], unique=False)

    op.create_table('match_pair',
    sa.Column('generation', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('need_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('offering_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('generation', 'need_id', 'offering_id', name=op.f('pk_match_pair'))
    )
    with op.batch_alter_table('match_pair', schema=None) as batch_op:
        batch_op.create_index('ix_match_pair_need', ['generation', 'need_id', 'score'], unique=False)
        batch_op.create_index('ix_match_pair_offering', ['generation', 'offering_id', 'score'], unique=False)
        batch_op.create_index('ix_match_pair_score', ['generation', 'score'], unique=False)


def downgrade():
    with op.batch_alter_table('match_pair', schema=None) as batch_op:
        batch_op.drop_index('ix_match_pair_score')
        batch_op.drop_index('ix_match_pair_offering')
        batch_op.drop_index('ix_match_pair_need')
    op.drop_table('match_pair')
    with op.batch_alter_table('match_item', schema=None) as batch_op:
        batch_op.drop_index('ix_match_item_generation_seq')
    op.drop_table('match_item')
    op.drop_table('match_model')
    op.drop_table('match_index_state')
