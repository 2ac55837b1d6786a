"""search: word index of offerings and needs for fast catalogue search (SQLite and PostgreSQL)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 18:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def _backfill(kind):
    """Index the items that already exist (rows saved before this migration)."""
    from matchmaker.models.search_index import token_rows

    table = sa.table(kind, sa.column('id'), sa.column('title'), sa.column('summary'), sa.column('keywords'),
                     sa.column('search_text'))
    token_table = sa.table(f'{kind}_search_token', sa.column('token'), sa.column(f'{kind}_id'),
                           sa.column('weight'))
    connection = op.get_bind()
    rows = []
    for item in connection.execute(sa.select(table)):
        rows.extend(token_rows(kind, item.id, item.title, item.summary, item.keywords, item.search_text))
        if len(rows) > 5000:
            connection.execute(sa.insert(token_table), rows)
            rows = []
    if rows:
        connection.execute(sa.insert(token_table), rows)


def upgrade():
    op.create_table('offering_search_token',
    sa.Column('token', sa.String(length=40), nullable=False),
    sa.Column('offering_id', sa.Integer(), nullable=False),
    sa.Column('weight', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['offering_id'], ['offering.id'], name=op.f('fk_offering_search_token_offering_id_offering'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token', 'offering_id', name=op.f('pk_offering_search_token'), postgresql_include=['weight']),
    sqlite_with_rowid=False,
    )
    with op.batch_alter_table('offering_search_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offering_search_token_offering_id'), ['offering_id'], unique=False)

    op.create_table('need_search_token',
    sa.Column('token', sa.String(length=40), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('weight', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['need_id'], ['need.id'], name=op.f('fk_need_search_token_need_id_need'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token', 'need_id', name=op.f('pk_need_search_token'), postgresql_include=['weight']),
    sqlite_with_rowid=False,
    )
    with op.batch_alter_table('need_search_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_need_search_token_need_id'), ['need_id'], unique=False)

    # Narrow, covering indexes of what the browse filters and sorts read (see matchmaker/models/search_index.py).
    offering_browse = ['published_at', 'trl', 'innovation_type', 'language', 'organisation_id', 'title']
    need_browse = ['deadline', 'budget_max', 'published_at', 'procurement_route', 'language', 'organisation_id', 'title']
    with op.batch_alter_table('offering', schema=None) as batch_op:
        batch_op.create_index('ix_offering_browse_by_id', ['id', 'status', *offering_browse], unique=False)
        batch_op.create_index('ix_offering_browse_by_status', ['status', *offering_browse], unique=False)
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.create_index('ix_need_browse_by_id', ['id', 'status', 'registered_only', *need_browse], unique=False)
        batch_op.create_index('ix_need_browse_by_status', ['status', 'registered_only', *need_browse], unique=False)

    _backfill('offering')
    _backfill('need')


def downgrade():
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.drop_index('ix_need_browse_by_status')
        batch_op.drop_index('ix_need_browse_by_id')
    with op.batch_alter_table('offering', schema=None) as batch_op:
        batch_op.drop_index('ix_offering_browse_by_status')
        batch_op.drop_index('ix_offering_browse_by_id')
    with op.batch_alter_table('need_search_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_need_search_token_need_id'), ['need_id'], unique=False)

    # Narrow, covering indexes of what the browse filters and sorts read (see matchmaker/models/search_index.py).
    offering_browse = ['published_at', 'trl', 'innovation_type', 'language', 'organisation_id', 'title']
    need_browse = ['deadline', 'budget_max', 'published_at', 'procurement_route', 'language', 'organisation_id', 'title']
    with op.batch_alter_table('offering', schema=None) as batch_op:
        batch_op.create_index('ix_offering_browse_by_id', ['id', 'status', *offering_browse], unique=False)
        batch_op.create_index('ix_offering_browse_by_status', ['status', *offering_browse], unique=False)
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.create_index('ix_need_browse_by_id', ['id', 'status', 'registered_only', *need_browse], unique=False)
        batch_op.create_index('ix_need_browse_by_status', ['status', 'registered_only', *need_browse], unique=False)

    _backfill('offering')
    _backfill('need')


def downgrade():
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.drop_index('ix_need_status_deadline')
        batch_op.drop_index('ix_need_browse')
    with op.batch_alter_table('offering', schema=None) as batch_op:
        batch_op.drop_index('ix_offering_browse')
    with op.batch_alter_table('need_search_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_need_search_token_need_id'))
    op.drop_table('need_search_token')
    with op.batch_alter_table('offering_search_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offering_search_token_offering_id'))
    op.drop_table('offering_search_token')
