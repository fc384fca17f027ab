"""photo markups: versioned vector markup drawn on a photo, with its burned-in display version and thumbnail

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 21:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'photo_markups',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('photo_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.String(length=36), nullable=False),
        sa.Column('shapes', sa.Text(), nullable=False),
        sa.Column('shape_count', sa.Integer(), nullable=False),
        sa.Column('display_key', sa.String(length=200), nullable=False),
        sa.Column('thumb_key', sa.String(length=200), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['photo_id'], ['photos.id'], name=op.f('fk_photo_markups_photo_id_photos')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_photo_markups_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_photo_markups')),
        sa.UniqueConstraint('client_id', name=op.f('uq_photo_markups_client_id')),
        sa.UniqueConstraint('photo_id', 'version', name=op.f('uq_photo_markups_photo_version')),
    )
    with op.batch_alter_table('photo_markups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_photo_markups_photo_id'), ['photo_id'], unique=False)


def downgrade():
    with op.batch_alter_table('photo_markups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_photo_markups_photo_id'))
    op.drop_table('photo_markups')
