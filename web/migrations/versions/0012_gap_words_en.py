"""English words of a gap's explanation and suggestion, and the suggestion's kind

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 11:00:00.000000

The explainer writes each gap's explanation and suggestion in Vietnamese and in English; the English
pages show ``explanation_en`` and ``suggestion_en``. ``suggestion_kind`` says what the suggestion asks for
(``scheduler.explain.SUGGESTION_KINDS``) and ``suggestion_person_id`` whose weekly cap it raises, so the gap
list links each fix without reading its words. Gaps stored before this revision have them empty, and the
pages fall back to the Vietnamese words.
"""

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('unfilled') as batch:
        batch.add_column(sa.Column('explanation_en', sa.Text(), nullable=False, server_default=''))
        batch.add_column(sa.Column('suggestion_en', sa.Text(), nullable=False, server_default=''))
        batch.add_column(sa.Column('suggestion_kind', sa.String(length=20), nullable=False, server_default=''))
        batch.add_column(sa.Column('suggestion_person_id', sa.String(length=40), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('unfilled') as batch:
        batch.drop_column('suggestion_person_id')
        batch.drop_column('suggestion_kind')
        batch.drop_column('suggestion_en')
        batch.drop_column('explanation_en')
