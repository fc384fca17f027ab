"""certificate facts: what the PDF prints about the project and the inspection, frozen at issue

Existing certificates are filled from their project and inspection rows as they are now (the
best record there is; their stored PDFs stay as issued). The formatting below is a copy of
``portal.certificates.pdf.printed_facts`` at this revision, so that later changes to the app
do not change what this migration writes.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 10:00:00

"""
from datetime import timezone
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

COMPANY_TZ = ZoneInfo("Asia/Shanghai")

certificates = sa.table('pass_certificates', sa.column('id', sa.Integer), sa.column('inspection_id', sa.Integer),
                        sa.column('issued_at', sa.DateTime), sa.column('facts', sa.JSON))
inspections = sa.table('inspections', sa.column('id', sa.Integer), sa.column('project_id', sa.Integer),
                       sa.column('inspector_id', sa.Integer), sa.column('round', sa.Integer),
                       sa.column('scheduled_date', sa.Date), sa.column('finished_at', sa.DateTime),
                       sa.column('grade', sa.String), sa.column('passed_count', sa.Integer),
                       sa.column('applicable_count', sa.Integer))
projects = sa.table('projects', sa.column('id', sa.Integer), sa.column('contract_no', sa.String),
                    sa.column('address', sa.String), sa.column('owner_name', sa.String),
                    sa.column('foreman_id', sa.Integer), sa.column('project_manager_id', sa.Integer))
users = sa.table('users', sa.column('id', sa.Integer), sa.column('display_name', sa.String))


def _local_day(value) -> str:
    """A stored UTC time as the company's local date."""
    return f"{value.replace(tzinfo=timezone.utc).astimezone(COMPANY_TZ):%Y-%m-%d}"


def _percent(passed, applicable) -> str:
    """The rate as printed: tenths of a percent, rounded down."""
    if not applicable:
        return "—"
    tenths = passed * 1000 // applicable
    return f"{tenths // 10}.{tenths % 10}%"


def _existing_facts(connection):
    """(certificate id, facts) for every certificate, from its inspection and project rows."""
    foreman, manager, inspector = users.alias('foreman'), users.alias('manager'), users.alias('inspector')
    query = (
        sa.select(certificates.c.id, certificates.c.issued_at, projects.c.contract_no, projects.c.address,
                  projects.c.owner_name, foreman.c.display_name.label('foreman'),
                  manager.c.display_name.label('manager'), inspector.c.display_name.label('inspector'),
                  inspections.c.round, inspections.c.scheduled_date, inspections.c.finished_at, inspections.c.grade,
                  inspections.c.passed_count, inspections.c.applicable_count)
        .select_from(certificates)
        .join(inspections, inspections.c.id == certificates.c.inspection_id)
        .join(projects, projects.c.id == inspections.c.project_id)
        .join(inspector, inspector.c.id == inspections.c.inspector_id)
        .outerjoin(foreman, foreman.c.id == projects.c.foreman_id)
        .outerjoin(manager, manager.c.id == projects.c.project_manager_id))
    for row in connection.execute(query):
        yield row.id, {
            "contract_no": row.contract_no, "address": row.address, "owner": row.owner_name,
            "foreman": row.foreman or "", "project_manager": row.manager or "", "inspector": row.inspector,
            "inspection_date": _local_day(row.finished_at) if row.finished_at else row.scheduled_date.isoformat(),
            "round": row.round, "grade": row.grade, "score": _percent(row.passed_count, row.applicable_count),
            "issued": _local_day(row.issued_at),
        }


def upgrade():
    with op.batch_alter_table('pass_certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('facts', sa.JSON(), nullable=True))
    connection = op.get_bind()
    for certificate_id, facts in list(_existing_facts(connection)):
        connection.execute(certificates.update().where(certificates.c.id == certificate_id).values(facts=facts))
    with op.batch_alter_table('pass_certificates', schema=None) as batch_op:
        batch_op.alter_column('facts', existing_type=sa.JSON(), nullable=False)


def downgrade():
    with op.batch_alter_table('pass_certificates', schema=None) as batch_op:
        batch_op.drop_column('facts')
