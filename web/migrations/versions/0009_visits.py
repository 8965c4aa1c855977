"""the daily list of mobile-service visits, its history, and the ward's visit plans

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 08:00:00.000000

``visit_requests`` holds one row per person on a ward's daily list of people who need a mobile
service visit: the list it is on now (``service_date``) and the one it was first registered for
(``first_date``), who they are, where, what they need and when they can be seen, its status
(waiting, done, cancelled) and a revision raised by every change. ``visit_steps`` is each request's
history (registered, late, imported, planned, done, not at home, follow-up, rolled to the next day,
cancelled). ``visit_plans`` keeps each version of a ward's plan of visits for a day, as JSON.
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'visit_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ward_code', sa.String(length=10), nullable=False),
        sa.Column('service_date', sa.Date(), nullable=False),
        sa.Column('first_date', sa.Date(), nullable=False),
        sa.Column('registered_at', sa.DateTime(), nullable=False),
        sa.Column('registered_by', sa.String(length=80), nullable=False),
        sa.Column('full_name', sa.String(length=200), nullable=False),
        sa.Column('priority_group', sa.String(length=20), nullable=False),
        sa.Column('phone', sa.String(length=40), nullable=False),
        sa.Column('group_name', sa.String(length=200), nullable=False),
        sa.Column('street', sa.String(length=200), nullable=False),
        sa.Column('lat', sa.Float(), nullable=True),
        sa.Column('lon', sa.Float(), nullable=True),
        sa.Column('home_visit', sa.Boolean(), nullable=False),
        sa.Column('service', sa.String(length=20), nullable=False),
        sa.Column('procedure', sa.String(length=200), nullable=False),
        sa.Column('window_start_minute', sa.Integer(), nullable=False),
        sa.Column('window_end_minute', sa.Integer(), nullable=False),
        sa.Column('service_minutes', sa.Integer(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_visit_requests_ward_date', 'visit_requests', ['ward_code', 'service_date'])
    op.create_table(
        'visit_steps',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('by', sa.String(length=80), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('team_id', sa.String(length=120), nullable=True),
        sa.Column('note', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['request_id'], ['visit_requests.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_visit_steps_request_id', 'visit_steps', ['request_id'])
    op.create_index('ix_visit_steps_day_kind', 'visit_steps', ['day', 'kind'])
    op.create_table(
        'visit_plans',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ward_code', sa.String(length=10), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=80), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('ward_code', 'day', 'version', name='uq_visit_plans_ward_day_version'),
    )


def downgrade():
    op.drop_table('visit_plans')
    op.drop_index('ix_visit_steps_day_kind', table_name='visit_steps')
    op.drop_index('ix_visit_steps_request_id', table_name='visit_steps')
    op.drop_table('visit_steps')
    op.drop_index('ix_visit_requests_ward_date', table_name='visit_requests')
    op.drop_table('visit_requests')
