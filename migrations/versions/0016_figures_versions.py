"""dashboard figures: the version of the data they are computed from

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 00:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    versions = op.create_table(
        'figures_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_figures_versions')),
    )
    op.bulk_insert(versions, [{'id': 1, 'value': 0}])


def downgrade():
    op.drop_table('figures_versions')
