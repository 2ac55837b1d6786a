"""catalogue: themes, offerings, needs, and their themes and CPV codes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 18:26:45.065760

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('theme',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('name_nl', sa.String(length=120), nullable=False),
    sa.Column('name_fr', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_theme')),
    sa.UniqueConstraint('slug', name=op.f('uq_theme_slug'))
    )
    op.create_table('need',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('challenge', sa.Text(), nullable=False),
    sa.Column('expected_outcome', sa.Text(), nullable=False),
    sa.Column('keywords', sa.Text(), nullable=False),
    sa.Column('budget_min', sa.BigInteger(), nullable=True),
    sa.Column('budget_max', sa.BigInteger(), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('procurement_route', sa.String(length=40), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('registered_only', sa.Boolean(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.CheckConstraint("language IN ('nl', 'fr', 'en')", name=op.f('ck_need_language_valid')),
    sa.CheckConstraint("procurement_route IN ('market_consultation', 'pre_commercial_procurement', 'public_procurement_of_innovation', 'innovation_partnership', 'competitive_dialogue', 'not_yet_known')", name=op.f('ck_need_procurement_route_valid')),
    sa.CheckConstraint("status IN ('draft', 'open', 'closed', 'archived')", name=op.f('ck_need_status_valid')),
    sa.CheckConstraint('budget_min IS NULL OR budget_max IS NULL OR budget_min <= budget_max', name=op.f('ck_need_budget_range')),
    sa.CheckConstraint('budget_min IS NULL OR budget_min >= 0', name=op.f('ck_need_budget_min_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_need_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_need_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_need'))
    )
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_need_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('ix_need_status_published_at', ['status', 'published_at'], unique=False)

    op.create_table('offering',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('innovation_type', sa.String(length=20), nullable=False),
    sa.Column('trl', sa.Integer(), nullable=True),
    sa.Column('keywords', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('reference_projects', sa.Text(), nullable=False),
    sa.Column('links', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.CheckConstraint("innovation_type IN ('product', 'technological', 'service', 'process', 'social')", name=op.f('ck_offering_innovation_type_valid')),
    sa.CheckConstraint("language IN ('nl', 'fr', 'en')", name=op.f('ck_offering_language_valid')),
    sa.CheckConstraint("status IN ('draft', 'published', 'archived')", name=op.f('ck_offering_status_valid')),
    sa.CheckConstraint('trl IS NULL OR (trl >= 1 AND trl <= 9)', name=op.f('ck_offering_trl_range')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_offering_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_offering_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offering'))
    )
    with op.batch_alter_table('offering', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offering_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('ix_offering_status_published_at', ['status', 'published_at'], unique=False)

    op.create_table('need_cpv_code',
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['need_id'], ['need.id'], name=op.f('fk_need_cpv_code_need_id_need'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('need_id', 'code', name=op.f('pk_need_cpv_code'))
    )
    with op.batch_alter_table('need_cpv_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_need_cpv_code_code'), ['code'], unique=False)

    op.create_table('need_theme',
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['need_id'], ['need.id'], name=op.f('fk_need_theme_need_id_need'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['theme_id'], ['theme.id'], name=op.f('fk_need_theme_theme_id_theme'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('need_id', 'theme_id', name=op.f('pk_need_theme'))
    )
    with op.batch_alter_table('need_theme', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_need_theme_theme_id'), ['theme_id'], unique=False)

    op.create_table('offering_cpv_code',
    sa.Column('offering_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['offering_id'], ['offering.id'], name=op.f('fk_offering_cpv_code_offering_id_offering'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('offering_id', 'code', name=op.f('pk_offering_cpv_code'))
    )
    with op.batch_alter_table('offering_cpv_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offering_cpv_code_code'), ['code'], unique=False)

    op.create_table('offering_theme',
    sa.Column('offering_id', sa.Integer(), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['offering_id'], ['offering.id'], name=op.f('fk_offering_theme_offering_id_offering'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['theme_id'], ['theme.id'], name=op.f('fk_offering_theme_theme_id_theme'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('offering_id', 'theme_id', name=op.f('pk_offering_theme'))
    )
    with op.batch_alter_table('offering_theme', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offering_theme_theme_id'), ['theme_id'], unique=False)



def downgrade():
    with op.batch_alter_table('offering_theme', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offering_theme_theme_id'))

    op.drop_table('offering_theme')
    with op.batch_alter_table('offering_cpv_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offering_cpv_code_code'))

    op.drop_table('offering_cpv_code')
    with op.batch_alter_table('need_theme', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_need_theme_theme_id'))

    op.drop_table('need_theme')
    with op.batch_alter_table('need_cpv_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_need_cpv_code_code'))

    op.drop_table('need_cpv_code')
    with op.batch_alter_table('offering', schema=None) as batch_op:
        batch_op.drop_index('ix_offering_status_published_at')
        batch_op.drop_index(batch_op.f('ix_offering_organisation_id'))

    op.drop_table('offering')
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.drop_index('ix_need_status_published_at')
        batch_op.drop_index(batch_op.f('ix_need_organisation_id'))

    op.drop_table('need')
    op.drop_table('theme')
