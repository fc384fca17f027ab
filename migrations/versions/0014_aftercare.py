"""after-sales: completion acceptance, owner's links, repair requests with photos, complaints

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 20:44:03.728464

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('complaints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('matter', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('complained_about', sa.String(length=100), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('handler_id', sa.Integer(), nullable=True),
    sa.Column('passed_on_at', sa.DateTime(), nullable=True),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('return_visit', sa.Text(), nullable=False),
    sa.Column('satisfied', sa.Boolean(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('repeat_of_id', sa.Integer(), nullable=True),
    sa.Column('handler_flagged_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['handler_id'], ['users.id'], name=op.f('fk_complaints_handler_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_complaints_project_id_projects')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_complaints_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['repeat_of_id'], ['complaints.id'], name=op.f('fk_complaints_repeat_of_id_complaints')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaints'))
    )
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaints_project_id'), ['project_id'], unique=False)

    op.create_table('completion_acceptances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('inspector_id', sa.Integer(), nullable=False),
    sa.Column('accepted_on', sa.Date(), nullable=False),
    sa.Column('rating_quality', sa.Integer(), nullable=False),
    sa.Column('rating_service', sa.Integer(), nullable=False),
    sa.Column('rating_timeliness', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('warranty_explained', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('handed_over_at', sa.DateTime(), nullable=True),
    sa.Column('warranty_start', sa.Date(), nullable=True),
    sa.Column('warranty_months', sa.JSON(), nullable=True),
    sa.Column('card_number', sa.String(length=20), nullable=True),
    sa.Column('card_pdf_key', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['inspector_id'], ['users.id'], name=op.f('fk_completion_acceptances_inspector_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_completion_acceptances_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_completion_acceptances')),
    sa.UniqueConstraint('card_number', name=op.f('uq_completion_acceptances_card_number')),
    sa.UniqueConstraint('project_id', name=op.f('uq_completion_acceptances_project_id'))
    )
    op.create_table('owner_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('nonce_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_owner_links_created_by_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_owner_links_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_owner_links')),
    sa.UniqueConstraint('nonce_hash', name=op.f('uq_owner_links_nonce_hash'))
    )
    with op.batch_alter_table('owner_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_owner_links_project_id'), ['project_id'], unique=False)

    op.create_table('repair_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('contact_phone', sa.String(length=30), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('in_warranty', sa.Boolean(), nullable=True),
    sa.Column('warranty_last_day', sa.Date(), nullable=True),
    sa.Column('warranty_months', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('contacted_at', sa.DateTime(), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('dispatched_at', sa.DateTime(), nullable=True),
    sa.Column('solution', sa.Text(), nullable=False),
    sa.Column('visit_on', sa.Date(), nullable=True),
    sa.Column('planned_at', sa.DateTime(), nullable=True),
    sa.Column('repaired_at', sa.DateTime(), nullable=True),
    sa.Column('work_done', sa.Text(), nullable=False),
    sa.Column('water_test_passed', sa.Boolean(), nullable=True),
    sa.Column('cost', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('responsibility', sa.String(length=20), nullable=True),
    sa.Column('charged_foreman_id', sa.Integer(), nullable=True),
    sa.Column('accepted_at', sa.DateTime(), nullable=True),
    sa.Column('followed_up_at', sa.DateTime(), nullable=True),
    sa.Column('follow_up_note', sa.Text(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_repair_requests_assignee_id_users')),
    sa.ForeignKeyConstraint(['charged_foreman_id'], ['users.id'], name=op.f('fk_repair_requests_charged_foreman_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_repair_requests_project_id_projects')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_repair_requests_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_repair_requests'))
    )
    with op.batch_alter_table('repair_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_repair_requests_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_repair_requests_project_id'), ['project_id'], unique=False)

    op.create_table('repair_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('repair_id', sa.Integer(), nullable=False),
    sa.Column('original_key', sa.String(length=200), nullable=False),
    sa.Column('display_key', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['repair_id'], ['repair_requests.id'], name=op.f('fk_repair_photos_repair_id_repair_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_repair_photos'))
    )
    with op.batch_alter_table('repair_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_repair_photos_repair_id'), ['repair_id'], unique=False)



def downgrade():
    with op.batch_alter_table('repair_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_repair_photos_repair_id'))

    op.drop_table('repair_photos')
    with op.batch_alter_table('repair_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_repair_requests_project_id'))
        batch_op.drop_index(batch_op.f('ix_repair_requests_assignee_id'))

    op.drop_table('repair_requests')
    with op.batch_alter_table('owner_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_owner_links_project_id'))

    op.drop_table('owner_links')
    op.drop_table('completion_acceptances')
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaints_project_id'))

    op.drop_table('complaints')
