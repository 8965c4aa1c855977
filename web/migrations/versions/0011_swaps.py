"""volunteers' requests to give a shift away or swap it with a colleague's

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-01 11:00:00.000000

``swap_requests`` holds one row per request: who gives which shift, to whom (empty while an offer is
open to anyone who may take it), the colleague's shift in a swap, its state (open, accepted, applying,
approved, refused, stale, withdrawn, declined), why it was refused, and the version that applied it.
"""

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'swap_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('from_person_id', sa.String(length=40), nullable=False),
        sa.Column('give_key', sa.String(length=200), nullable=False),
        sa.Column('to_person_id', sa.String(length=40), nullable=True),
        sa.Column('take_key', sa.String(length=200), nullable=True),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('reasons', sa.Text(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=True),
        sa.Column('applied_version_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('accepted_at', sa.DateTime(), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('decided_by', sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_swap_requests_state', 'swap_requests', ['state'])
    op.create_index('ix_swap_requests_from_person_id', 'swap_requests', ['from_person_id'])
    op.create_index('ix_swap_requests_to_person_id', 'swap_requests', ['to_person_id'])


def downgrade():
    op.drop_table('swap_requests')
