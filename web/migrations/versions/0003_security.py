"""security: atomic rate counters, server-side sessions, per-person credential generations

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 17:00:00.000000

``rate_counters`` replaces ``lookup_failures`` (a row per attempt, counted with a separate read, so
simultaneous requests passed the limit together): one row per kind, subject and window, raised by a
single atomic upsert. ``auth_sessions`` lets signing out end a session for good; ``person_credentials``
lets a coordinator revoke one volunteer's code, links and calendar feed.
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rate_counters',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('window_start', sa.DateTime(), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_index('ix_rate_counters_window_start', 'rate_counters', ['window_start'], unique=False)
    op.create_table('auth_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_auth_sessions_user_id', 'auth_sessions', ['user_id'], unique=False)
    op.create_index('ix_auth_sessions_person_id', 'auth_sessions', ['person_id'], unique=False)
    op.create_table('person_credentials',
    sa.Column('person_id', sa.String(length=40), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_by', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('person_id')
    )
    with op.batch_alter_table('lookup_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lookup_failures_at'))
        batch_op.drop_index(batch_op.f('ix_lookup_failures_key'))
    op.drop_table('lookup_failures')


def downgrade():
    op.create_table('lookup_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('lookup_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lookup_failures_key'), ['key'], unique=False)
        batch_op.create_index(batch_op.f('ix_lookup_failures_at'), ['at'], unique=False)
    op.drop_table('person_credentials')
    op.drop_index('ix_auth_sessions_person_id', table_name='auth_sessions')
    op.drop_index('ix_auth_sessions_user_id', table_name='auth_sessions')
    op.drop_table('auth_sessions')
    op.drop_index('ix_rate_counters_window_start', table_name='rate_counters')
    op.drop_table('rate_counters')
