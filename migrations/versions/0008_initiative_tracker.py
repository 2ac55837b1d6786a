"""initiative: 3%-norm figures, innovation projects and meeting outcomes

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 00:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('procurement_year',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('budget_cents', sa.BigInteger(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('budget_cents >= 0', name=op.f('ck_procurement_year_budget_positive')),
    sa.CheckConstraint('year >= 2000 AND year <= 2100', name=op.f('ck_procurement_year_year_range')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_procurement_year_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_procurement_year_updated_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_procurement_year')),
    sa.UniqueConstraint('organisation_id', 'year', name='uq_procurement_year_organisation_year')
    )
    with op.batch_alter_table('procurement_year', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_procurement_year_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('ix_procurement_year_year', ['year'], unique=False)

    op.create_table('innovation_project',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('procurement_year_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('procurement_route', sa.String(length=40), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("procurement_route IN ('market_consultation', 'pre_commercial_procurement', 'public_procurement_of_innovation', 'innovation_partnership', 'competitive_dialogue', 'not_yet_known')", name=op.f('ck_innovation_project_procurement_route_valid')),
    sa.CheckConstraint('amount_cents >= 0', name=op.f('ck_innovation_project_amount_positive')),
    sa.ForeignKeyConstraint(['need_id'], ['need.id'], name=op.f('fk_innovation_project_need_id_need'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['procurement_year_id'], ['procurement_year.id'], name=op.f('fk_innovation_project_procurement_year_id_procurement_year'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_innovation_project'))
    )
    with op.batch_alter_table('innovation_project', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_innovation_project_need_id'), ['need_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_innovation_project_procurement_year_id'), ['procurement_year_id'], unique=False)

    op.create_table('outcome_survey',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('round IN (1, 2)', name=op.f('ck_outcome_survey_round_valid')),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_outcome_survey_registration_id_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_survey')),
    sa.UniqueConstraint('registration_id', 'round', name='uq_outcome_survey_registration_round')
    )
    with op.batch_alter_table('outcome_survey', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_survey_registration_id'), ['registration_id'], unique=False)

    op.create_table('meeting_outcome',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('held', sa.Boolean(), nullable=False),
    sa.Column('usefulness', sa.Integer(), nullable=True),
    sa.Column('follow_up', sa.String(length=30), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("follow_up IN ('none', 'further_contact', 'market_consultation', 'procurement_launched', 'contract_awarded')", name=op.f('ck_meeting_outcome_follow_up_valid')),
    sa.CheckConstraint('round IN (1, 2)', name=op.f('ck_meeting_outcome_round_valid')),
    sa.CheckConstraint('usefulness IS NULL OR (usefulness >= 1 AND usefulness <= 5)', name=op.f('ck_meeting_outcome_usefulness_range')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_outcome_meeting_id_meeting'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_meeting_outcome_registration_id_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_outcome')),
    sa.UniqueConstraint('meeting_id', 'registration_id', 'round', name='uq_meeting_outcome_round')
    )
    with op.batch_alter_table('meeting_outcome', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_outcome_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_outcome_registration_id'), ['registration_id'], unique=False)

    op.create_table('meeting_outcome_need',
    sa.Column('outcome_id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['need_id'], ['need.id'], name=op.f('fk_meeting_outcome_need_need_id_need'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['outcome_id'], ['meeting_outcome.id'], name=op.f('fk_meeting_outcome_need_outcome_id_meeting_outcome'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('outcome_id', 'need_id', name=op.f('pk_meeting_outcome_need'))
    )
    with op.batch_alter_table('meeting_outcome_need', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_outcome_need_need_id'), ['need_id'], unique=False)


def downgrade():
    with op.batch_alter_table('meeting_outcome_need', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_outcome_need_need_id'))

    op.drop_table('meeting_outcome_need')
    with op.batch_alter_table('meeting_outcome', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_outcome_registration_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_outcome_meeting_id'))

    op.drop_table('meeting_outcome')
    with op.batch_alter_table('outcome_survey', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_survey_registration_id'))

    op.drop_table('outcome_survey')
    with op.batch_alter_table('innovation_project', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_innovation_project_procurement_year_id'))
        batch_op.drop_index(batch_op.f('ix_innovation_project_need_id'))

    op.drop_table('innovation_project')
    with op.batch_alter_table('procurement_year', schema=None) as batch_op:
        batch_op.drop_index('ix_procurement_year_year')
        batch_op.drop_index(batch_op.f('ix_procurement_year_organisation_id'))

    op.drop_table('procurement_year')
