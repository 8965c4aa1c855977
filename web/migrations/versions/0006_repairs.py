"""repair drafts and volunteers' answers

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 22:45:00.000000

A roster version now says where it comes from: ``kind`` is ``solve`` (a solve job) or ``repair``
(a "Sửa lịch" draft made from a published version and the events since), ``parent_id`` the
published version it was made from, and ``change_summary`` the plain summary of its changes against
that parent ("2 người thêm ca, 1 người đổi ca, còn 0 ô thiếu").

``repairs`` keeps, per repair draft, the events it answers and the figures of its repair;
``repair_marks`` the coordinator's review of each change (kept or put back). ``shift_answers``
holds the volunteers' "Nhận ca" / "Không nhận" for each new shift of a version, and
``shift_views`` the last version each volunteer has seen, so the changes since are shown to them.

Every "Tôi không thể đến" lives in ``events`` since revision 0005 (which copied the old
``cancellations`` rows there), so ``cancellations`` goes.
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite adds a column with its reference in place; a batch copy of roster_versions would drop the table,
        # and with foreign keys on that deletes every version's assignments first.
        op.execute(
            'ALTER TABLE roster_versions ADD COLUMN parent_id INTEGER '
            'REFERENCES roster_versions (id) ON DELETE SET NULL'
        )
    else:
        op.add_column('roster_versions', sa.Column('parent_id', sa.Integer(), nullable=True))
        op.create_foreign_key(
            'fk_roster_versions_parent_id', 'roster_versions', 'roster_versions', ['parent_id'], ['id'],
            ondelete='SET NULL',
        )
    op.add_column('roster_versions', sa.Column('kind', sa.String(length=20), nullable=False, server_default='solve'))
    op.add_column('roster_versions', sa.Column('change_summary', sa.Text(), nullable=True))

    op.create_table(
        'repairs',
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('parent_id', sa.Integer(), nullable=True),
        sa.Column('event_ids', sa.Text(), nullable=False, server_default=''),
        sa.Column('made_at', sa.DateTime(), nullable=False),
        sa.Column('made_by', sa.String(length=80), nullable=False, server_default=''),
        sa.Column('now', sa.DateTime(), nullable=False),
        sa.Column('figures', sa.Text(), nullable=False, server_default='{}'),
        sa.Column('edits', sa.Integer(), nullable=False, server_default='0'),
        sa.ForeignKeyConstraint(['version_id'], ['roster_versions.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['parent_id'], ['roster_versions.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('version_id'),
    )
    op.create_table(
        'repair_marks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('change_key', sa.String(length=200), nullable=False),
        sa.Column('decision', sa.String(length=20), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('by', sa.String(length=80), nullable=False, server_default=''),
        sa.ForeignKeyConstraint(['version_id'], ['roster_versions.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('version_id', 'change_key', name='uq_repair_marks_version_change'),
    )
    op.create_table(
        'shift_answers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.String(length=40), nullable=False),
        sa.Column('assignment_key', sa.String(length=200), nullable=False),
        sa.Column('answer', sa.String(length=20), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['version_id'], ['roster_versions.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('version_id', 'person_id', 'assignment_key', name='uq_shift_answers_version_person_key'),
    )
    with op.batch_alter_table('shift_answers') as batch:
        batch.create_index('ix_shift_answers_person_id', ['person_id'], unique=False)
    op.create_table(
        'shift_views',
        sa.Column('person_id', sa.String(length=40), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['version_id'], ['roster_versions.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('person_id'),
    )
    op.drop_table('cancellations')


def downgrade():
    op.create_table(
        'cancellations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.String(length=40), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('ward_code', sa.String(length=10), nullable=False),
        sa.Column('date', sa.Date(), nullable=False),
        sa.Column('shift_id', sa.String(length=40), nullable=True),
        sa.Column('mobile_point_id', sa.String(length=40), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['version_id'], ['roster_versions.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('cancellations') as batch:
        batch.create_index('ix_cancellations_person_id', ['person_id'], unique=False)
    op.drop_table('shift_views')
    with op.batch_alter_table('shift_answers') as batch:
        batch.drop_index('ix_shift_answers_person_id')
    op.drop_table('shift_answers')
    op.drop_table('repair_marks')
    op.drop_table('repairs')
    op.drop_column('roster_versions', 'change_summary')
    op.drop_column('roster_versions', 'kind')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint('fk_roster_versions_parent_id', 'roster_versions', type_='foreignkey')
        op.drop_column('roster_versions', 'parent_id')
    # SQLite drops no column that a reference uses, and copying the table would delete the assignments (see
    # upgrade): there the unused, nullable parent_id stays.
