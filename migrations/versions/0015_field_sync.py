"""field sync: actions replayed by client id, answer versions, phone and server times

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 21:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'field_actions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.String(length=36), nullable=False),
        sa.Column('endpoint', sa.String(length=80), nullable=False),
        sa.Column('status', sa.Integer(), nullable=False),
        sa.Column('headers', sa.JSON(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('captured_at', sa.DateTime(), nullable=True),
        sa.Column('phone_clock_at', sa.DateTime(), nullable=True),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.Column('clock_offset_seconds', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_field_actions_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_field_actions')),
        sa.UniqueConstraint('user_id', 'client_id', name=op.f('uq_field_actions_user_id')),
    )
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('answer_changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('captured_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=True))
    with op.batch_alter_table('inspection_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('captured_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('clock_offset_seconds', sa.Integer(), nullable=True))
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('captured_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_column('captured_at')
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_column('clock_offset_seconds')
    with op.batch_alter_table('inspection_events', schema=None) as batch_op:
        batch_op.drop_column('captured_at')
    with op.batch_alter_table('answer_changes', schema=None) as batch_op:
        batch_op.drop_column('version')
        batch_op.drop_column('captured_at')
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_column('version')
    op.drop_table('field_actions')
