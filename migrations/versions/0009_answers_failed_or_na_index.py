"""partial index on failed and N/A answers (dashboard: most failed items)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 04:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

WHERE = sa.text("outcome IN ('fail', 'na')")


def upgrade():
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.create_index('ix_answers_failed_or_na', ['inspection_id', 'item_id', 'outcome'], unique=False,
                              postgresql_where=WHERE, sqlite_where=WHERE)


def downgrade():
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_index('ix_answers_failed_or_na', postgresql_where=WHERE, sqlite_where=WHERE)
