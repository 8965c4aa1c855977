"""the outbox of notices and the people who opted out of them

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 22:45:00.000000

``outbox`` holds one row per message to one person on one channel (e-mail or SMS), unique by its
key so that a notice enqueued twice is one message; ``state``, ``attempts``, ``next_attempt_at``
and the lease (``claimed_by``, ``claimed_until``) are the sender's (see ``web/outbox.py``).
``notice_opt_outs`` lists the people who receive no notices.
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('person_id', sa.String(length=40), nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('address', sa.String(length=254), nullable=False),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('due_at', sa.DateTime(), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.Column('claimed_by', sa.String(length=200), nullable=True),
        sa.Column('claimed_until', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key'),
    )
    op.create_index('ix_outbox_person_id', 'outbox', ['person_id'])
    op.create_index('ix_outbox_state_next', 'outbox', ['state', 'next_attempt_at'])
    op.create_table(
        'notice_opt_outs',
        sa.Column('person_id', sa.String(length=40), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint('person_id'),
    )


def downgrade():
    op.drop_table('notice_opt_outs')
    op.drop_index('ix_outbox_state_next', table_name='outbox')
    op.drop_index('ix_outbox_person_id', table_name='outbox')
    op.drop_table('outbox')
