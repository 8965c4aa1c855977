"""events recorded while the campaign runs

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 22:45:00.000000

Everything that changes the plan while the campaign runs is a row of ``events``: its kind, the
person or ward it is about, the dates it touches (for queries), the event itself as JSON
(:func:`scheduler.events.event_to_dict`), who recorded it and against which published version, and
whether it is still open, repaired by a later version or dismissed. The version columns name published
versions, which are never deleted; they carry no foreign key, so that a later rebuild of
``roster_versions`` on SQLite never touches the events. Every volunteer's "Tôi không thể
đến" already stored in ``cancellations`` is copied here as a ``cancellation`` event; that table stays.
"""
import json
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('person_id', sa.String(length=40), nullable=True),
        sa.Column('ward_code', sa.String(length=10), nullable=True),
        sa.Column('first_date', sa.Date(), nullable=True),
        sa.Column('last_date', sa.Date(), nullable=True),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('source', sa.String(length=20), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=80), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=True),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('repaired_by_version_id', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('events') as batch:
        batch.create_index(batch.f('ix_events_person_id'), ['person_id'], unique=False)
        batch.create_index(batch.f('ix_events_state'), ['state'], unique=False)

    cancellations = sa.table(
        'cancellations',
        sa.column('id', sa.Integer()),
        sa.column('person_id', sa.String()),
        sa.column('version_id', sa.Integer()),
        sa.column('ward_code', sa.String()),
        sa.column('date', sa.Date()),
        sa.column('shift_id', sa.String()),
        sa.column('mobile_point_id', sa.String()),
        sa.column('reason', sa.Text()),
        sa.column('created_at', sa.DateTime()),
    )
    events = sa.table(
        'events',
        sa.column('kind', sa.String()),
        sa.column('person_id', sa.String()),
        sa.column('ward_code', sa.String()),
        sa.column('first_date', sa.Date()),
        sa.column('last_date', sa.Date()),
        sa.column('payload', sa.Text()),
        sa.column('source', sa.String()),
        sa.column('created_at', sa.DateTime()),
        sa.column('created_by', sa.String()),
        sa.column('version_id', sa.Integer()),
        sa.column('state', sa.String()),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(cancellations).order_by(cancellations.c.created_at, cancellations.c.id)).all()
    copied = []
    for row in rows:
        slot = row.shift_id or row.mobile_point_id
        payload = {
            "kind": "cancellation",
            # stored times are UTC; the campaign's clock is Hanoi's local time (UTC+7)
            "recorded_at": (row.created_at + timedelta(hours=7)).isoformat(),
            "recorded_by": row.person_id,
            "person_id": row.person_id,
            "dates": [row.date.isoformat()],
        }
        if slot:
            payload["slot_ids"] = [slot]
        if row.reason:
            payload["reason"] = row.reason
        copied.append(
            {
                "kind": "cancellation",
                "person_id": row.person_id,
                "ward_code": row.ward_code,
                "first_date": row.date,
                "last_date": row.date,
                "payload": json.dumps(payload, ensure_ascii=False),
                "source": "volunteer",
                "created_at": row.created_at,
                "created_by": row.person_id,
                "version_id": row.version_id,
                "state": "open",
            }
        )
    if copied:
        op.bulk_insert(events, copied)


def downgrade():
    with op.batch_alter_table('events') as batch:
        batch.drop_index(batch.f('ix_events_state'))
        batch.drop_index(batch.f('ix_events_person_id'))
    op.drop_table('events')
