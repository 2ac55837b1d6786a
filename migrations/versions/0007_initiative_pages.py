"""initiative: public pages, charter signatures and newsletter subscriptions

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 00:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('content_page',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('title_nl', sa.String(length=200), nullable=False),
    sa.Column('title_fr', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('body_nl', sa.Text(), nullable=False),
    sa.Column('body_fr', sa.Text(), nullable=False),
    sa.Column('body_en', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("title_nl <> ''", name=op.f('ck_content_page_title_nl_required')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_content_page_updated_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_page')),
    sa.UniqueConstraint('slug', name=op.f('uq_content_page_slug'))
    )

    op.create_table('charter_signature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('signed_by_id', sa.Integer(), nullable=True),
    sa.Column('signatory_name', sa.String(length=200), nullable=False),
    sa.Column('signatory_function', sa.String(length=200), nullable=False),
    sa.Column('pledge_three_percent', sa.Boolean(), nullable=False),
    sa.Column('pledge_text', sa.Text(), nullable=False),
    sa.Column('charter_version', sa.Integer(), nullable=True),
    sa.Column('signed_at', sa.DateTime(), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_charter_signature_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['signed_by_id'], ['user_account.id'], name=op.f('fk_charter_signature_signed_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['user_account.id'], name=op.f('fk_charter_signature_withdrawn_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_charter_signature'))
    )
    with op.batch_alter_table('charter_signature', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_charter_signature_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('uq_charter_signature_active', ['organisation_id'], unique=True, sqlite_where=sa.text('withdrawn_at IS NULL'), postgresql_where=sa.text('withdrawn_at IS NULL'))

    op.create_table('newsletter_subscriber',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('token_nonce', sa.String(length=32), nullable=False),
    sa.Column('consent_version', sa.String(length=20), nullable=False),
    sa.Column('consent_at', sa.DateTime(), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('unsubscribed_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("language IN ('nl', 'fr', 'en')", name=op.f('ck_newsletter_subscriber_language_valid')),
    sa.CheckConstraint("status IN ('pending', 'confirmed', 'unsubscribed')", name=op.f('ck_newsletter_subscriber_status_valid')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_newsletter_subscriber')),
    sa.UniqueConstraint('email', name=op.f('uq_newsletter_subscriber_email'))
    )
    with op.batch_alter_table('newsletter_subscriber', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_newsletter_subscriber_status'), ['status'], unique=False)

    op.create_table('newsletter_subscriber_theme',
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['subscriber_id'], ['newsletter_subscriber.id'], name=op.f('fk_newsletter_subscriber_theme_subscriber_id_newsletter_subscriber'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['theme_id'], ['theme.id'], name=op.f('fk_newsletter_subscriber_theme_theme_id_theme'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('subscriber_id', 'theme_id', name=op.f('pk_newsletter_subscriber_theme'))
    )
    with op.batch_alter_table('newsletter_subscriber_theme', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_newsletter_subscriber_theme_theme_id'), ['theme_id'], unique=False)

    op.create_table('event_announcement',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('announced_at', sa.DateTime(), nullable=False),
    sa.Column('announced_by_id', sa.Integer(), nullable=True),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('sent', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('unknown', sa.Integer(), nullable=False),
    sa.Column('progress_at', sa.DateTime(), nullable=False),
    sa.Column('resumed_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('sent >= 0 AND failed >= 0 AND unknown >= 0', name=op.f('ck_event_announcement_counts_positive')),
    sa.ForeignKeyConstraint(['announced_by_id'], ['user_account.id'], name=op.f('fk_event_announcement_announced_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_event_announcement_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_event_announcement'))
    )

    op.create_table('announcement_delivery',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('sending', 'sent', 'failed', 'unknown')", name=op.f('ck_announcement_delivery_status_valid')),
    sa.ForeignKeyConstraint(['event_id'], ['event_announcement.event_id'], name=op.f('fk_announcement_delivery_event_id_event_announcement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subscriber_id'], ['newsletter_subscriber.id'], name=op.f('fk_announcement_delivery_subscriber_id_newsletter_subscriber'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', 'subscriber_id', name=op.f('pk_announcement_delivery'))
    )
    with op.batch_alter_table('announcement_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_announcement_delivery_subscriber_id'), ['subscriber_id'], unique=False)

    op.create_table('newsletter_erased_consent',
    sa.Column('consent_version', sa.String(length=20), nullable=False),
    sa.Column('consent_month', sa.String(length=7), nullable=False),
    sa.Column('confirmed', sa.Boolean(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('consent_version', 'consent_month', 'confirmed', name=op.f('pk_newsletter_erased_consent'))
    )


def downgrade():
    op.drop_table('newsletter_erased_consent')
    with op.batch_alter_table('announcement_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_announcement_delivery_subscriber_id'))
    op.drop_table('announcement_delivery')
    op.drop_table('event_announcement')
    with op.batch_alter_table('newsletter_subscriber_theme', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_newsletter_subscriber_theme_theme_id'))
    op.drop_table('newsletter_subscriber_theme')
    with op.batch_alter_table('newsletter_subscriber', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_newsletter_subscriber_status'))
    op.drop_table('newsletter_subscriber')
    with op.batch_alter_table('charter_signature', schema=None) as batch_op:
        batch_op.drop_index('uq_charter_signature_active', sqlite_where=sa.text('withdrawn_at IS NULL'), postgresql_where=sa.text('withdrawn_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_charter_signature_organisation_id'))
    op.drop_table('charter_signature')
    op.drop_table('content_page')
