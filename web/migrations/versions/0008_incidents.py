"""incidents, their steps, the desk's ward covers, and users scoped to a ward

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 03:30:00.000000

``incidents`` holds one row per incident a ward reports, with its state, the technician sent, a
call-out's slot and the time of each step (the campaign's local time); ``incident_steps`` its
history; ``ward_covers`` the technicians the duty desk moved to answer for a ward for a while.
``users.ward_code`` scopes a ward official's account to one ward.
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('ward_code', sa.String(length=10), nullable=True))
    op.create_table(
        'incidents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ward_code', sa.String(length=10), nullable=False),
        sa.Column('category', sa.String(length=20), nullable=False),
        sa.Column('urgent', sa.Boolean(), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('place', sa.String(length=200), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('reported_at', sa.DateTime(), nullable=False),
        sa.Column('reported_by', sa.String(length=80), nullable=False),
        sa.Column('limit_minutes', sa.Integer(), nullable=False),
        sa.Column('technician_id', sa.String(length=40), nullable=True),
        sa.Column('from_ward_code', sa.String(length=10), nullable=True),
        sa.Column('expected_arrival_minutes', sa.Integer(), nullable=True),
        sa.Column('uncovered', sa.Text(), nullable=False),
        sa.Column('callout_date', sa.Date(), nullable=True),
        sa.Column('callout_shift_id', sa.String(length=40), nullable=True),
        sa.Column('assigned_at', sa.DateTime(), nullable=True),
        sa.Column('acknowledged_at', sa.DateTime(), nullable=True),
        sa.Column('on_the_way_at', sa.DateTime(), nullable=True),
        sa.Column('arrived_at', sa.DateTime(), nullable=True),
        sa.Column('resolved_at', sa.DateTime(), nullable=True),
        sa.Column('cancelled_at', sa.DateTime(), nullable=True),
        sa.Column('escalated_at', sa.DateTime(), nullable=True),
        sa.Column('escalation', sa.String(length=40), nullable=False),
        sa.Column('declined_by', sa.Text(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_incidents_ward_code', 'incidents', ['ward_code'])
    op.create_index('ix_incidents_state', 'incidents', ['state'])
    op.create_index('ix_incidents_reported_at', 'incidents', ['reported_at'])
    op.create_index('ix_incidents_technician_id', 'incidents', ['technician_id'])
    op.create_table(
        'incident_steps',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('step', sa.String(length=20), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('by', sa.String(length=80), nullable=False),
        sa.Column('technician_id', sa.String(length=40), nullable=True),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_incident_steps_incident_id', 'incident_steps', ['incident_id'])
    op.create_table(
        'ward_covers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ward_code', sa.String(length=10), nullable=False),
        sa.Column('person_id', sa.String(length=40), nullable=False),
        sa.Column('start_at', sa.DateTime(), nullable=False),
        sa.Column('end_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=80), nullable=False),
        sa.Column('ended', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_ward_covers_ward_code', 'ward_covers', ['ward_code'])


def downgrade():
    op.drop_index('ix_ward_covers_ward_code', table_name='ward_covers')
    op.drop_table('ward_covers')
    op.drop_index('ix_incident_steps_incident_id', table_name='incident_steps')
    op.drop_table('incident_steps')
    for name in ('technician_id', 'reported_at', 'state', 'ward_code'):
        op.drop_index(f'ix_incidents_{name}', table_name='incidents')
    op.drop_table('incidents')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('ward_code')
