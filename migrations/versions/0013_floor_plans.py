"""floor plans of a project, and pins of failed items and photos on them

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 21:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'floor_plans',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=100), nullable=False),
        sa.Column('source_format', sa.String(length=10), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('original_key', sa.String(length=200), nullable=False),
        sa.Column('image_key', sa.String(length=200), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_floor_plans_project_id_projects')),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_floor_plans_uploaded_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_floor_plans')),
    )
    with op.batch_alter_table('floor_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_floor_plans_project_id'), ['project_id'], unique=False)
    op.create_table(
        'plan_pins',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('inspection_id', sa.Integer(), nullable=True),
        sa.Column('item_id', sa.Integer(), nullable=True),
        sa.Column('photo_id', sa.Integer(), nullable=True),
        sa.Column('x', sa.Float(), nullable=False),
        sa.Column('y', sa.Float(), nullable=False),
        sa.Column('client_id', sa.String(length=36), nullable=False),
        sa.Column('placed_by_id', sa.Integer(), nullable=False),
        sa.Column('placed_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['plan_id'], ['floor_plans.id'], name=op.f('fk_plan_pins_plan_id_floor_plans')),
        sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_plan_pins_inspection_id_inspections')),
        sa.ForeignKeyConstraint(['item_id'], ['checklist_items.id'], name=op.f('fk_plan_pins_item_id_checklist_items')),
        sa.ForeignKeyConstraint(['photo_id'], ['photos.id'], name=op.f('fk_plan_pins_photo_id_photos')),
        sa.ForeignKeyConstraint(['placed_by_id'], ['users.id'], name=op.f('fk_plan_pins_placed_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_pins')),
        sa.UniqueConstraint('client_id', name=op.f('uq_plan_pins_client_id')),
    )
    with op.batch_alter_table('plan_pins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_pins_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_pins_photo_id'), ['photo_id'], unique=False)
        batch_op.create_index('ix_plan_pins_inspection_item', ['inspection_id', 'item_id'], unique=False)


def downgrade():
    with op.batch_alter_table('plan_pins', schema=None) as batch_op:
        batch_op.drop_index('ix_plan_pins_inspection_item')
        batch_op.drop_index(batch_op.f('ix_plan_pins_photo_id'))
        batch_op.drop_index(batch_op.f('ix_plan_pins_plan_id'))
    op.drop_table('plan_pins')
    with op.batch_alter_table('floor_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_floor_plans_project_id'))
    op.drop_table('floor_plans')
