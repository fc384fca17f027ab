"""after-sales: the quarterly return calls of the warranty (003 流程28)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 11:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('return_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('quarter_start', sa.Date(), nullable=False),
    sa.Column('called_at', sa.DateTime(), nullable=False),
    sa.Column('called_by_id', sa.Integer(), nullable=False),
    sa.Column('reached', sa.Boolean(), nullable=False),
    sa.Column('satisfied', sa.Boolean(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['called_by_id'], ['users.id'], name=op.f('fk_return_calls_called_by_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_return_calls_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_return_calls'))
    )
    with op.batch_alter_table('return_calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_return_calls_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_return_calls_quarter_start'), ['quarter_start'], unique=False)


def downgrade():
    with op.batch_alter_table('return_calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_return_calls_quarter_start'))
        batch_op.drop_index(batch_op.f('ix_return_calls_project_id'))
    op.drop_table('return_calls')
