"""objective terms and campaign name of a roster version

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 19:10:00.000000

``objective_terms`` keeps each term of a version's objective, unweighted, as a JSON object (the
checker's ``VerifyReport.terms``); ``campaign_name`` the name the roster was solved for, so that a
version maps back to a roster from its rows and columns alone. Versions stored before this revision
get their campaign name from their roster JSON, and no terms (shown as not known).
"""
import json

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('roster_versions') as batch:
        batch.add_column(sa.Column('objective_terms', sa.Text(), nullable=True))
        batch.add_column(sa.Column('campaign_name', sa.String(length=200), nullable=True))
    versions = sa.table('roster_versions', sa.column('id', sa.Integer()), sa.column('roster_json', sa.Text()),
                        sa.column('campaign_name', sa.String()))
    connection = op.get_bind()
    for version_id, text in connection.execute(sa.select(versions.c.id, versions.c.roster_json)).all():
        try:
            name = json.loads(text).get("campaign")
        except (TypeError, ValueError):
            name = None
        connection.execute(versions.update().where(versions.c.id == version_id).values(campaign_name=name))


def downgrade():
    with op.batch_alter_table('roster_versions') as batch:
        batch.drop_column('campaign_name')
        batch.drop_column('objective_terms')
