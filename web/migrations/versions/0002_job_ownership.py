"""job ownership: who runs a solve, its lease, one active job per data set

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:00:00.000000

Each job records the host, the web process that watches it and the solver process (pid and start
time, so a pid reused by another process is told apart), and a heartbeat the watcher renews. A
unique partial index allows one queued or running job per data set, across server processes.
Before the index is built, all but the newest queued or running job are marked failed.
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

ACTIVE = "status IN ('queued', 'running')"


def upgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dataset', sa.String(length=40), nullable=False,
                                      server_default='campaign'))
        batch_op.add_column(sa.Column('host', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('server_pid', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('server_start', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('solver_pid', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('solver_start', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(), nullable=True))
    op.execute(sa.text(
        "UPDATE jobs SET status = 'failed', message = 'máy chủ đã khởi động lại khi đang giải' "
        f"WHERE {ACTIVE} AND id < (SELECT MAX(id) FROM jobs WHERE {ACTIVE})"))
    op.create_index('uq_jobs_active_dataset', 'jobs', ['dataset'], unique=True,
                    sqlite_where=sa.text(ACTIVE), postgresql_where=sa.text(ACTIVE))


def downgrade():
    op.drop_index('uq_jobs_active_dataset', table_name='jobs')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('solver_start')
        batch_op.drop_column('solver_pid')
        batch_op.drop_column('server_start')
        batch_op.drop_column('server_pid')
        batch_op.drop_column('host')
        batch_op.drop_column('dataset')
