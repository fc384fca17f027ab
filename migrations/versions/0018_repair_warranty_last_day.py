"""after-sales: repairs filed while a warranty's last day was taken one day early are judged again

Until 0017 the last covered day was the day before the corresponding day (2026-03-10 + 24 months
ended 2028-03-09); since then it is the corresponding day, or the month's last day when there is
none (民法典 第二百零一条, 第二百零二条). Repairs filed before keep the judgement of their filing day:
their last day is worked out again from the warranty start and their months, and whether the day
they came in (company time) was covered.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 10:30:00

"""
import calendar
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

# As the portal had them when this migration was written (portal.timeutil, portal.aftercare.warranty):
# a migration keeps its own copy, so later changes of the code do not change what it did.
COMPANY_TZ = ZoneInfo("Asia/Shanghai")


def _last_covered_day(start: date, months: int) -> date:
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _local_day(moment: datetime) -> date:
    return moment.replace(tzinfo=timezone.utc).astimezone(COMPANY_TZ).date()


def upgrade():
    connection = op.get_bind()
    rows = connection.execute(sa.text(
        "SELECT r.id, r.received_at, r.warranty_months, c.warranty_start FROM repair_requests r "
        "JOIN completion_acceptances c ON c.project_id = r.project_id "
        "WHERE r.warranty_months IS NOT NULL AND c.warranty_start IS NOT NULL"
    ).columns(sa.column("id", sa.Integer), sa.column("received_at", sa.DateTime),
              sa.column("warranty_months", sa.Integer), sa.column("warranty_start", sa.Date))).all()
    update = sa.text("UPDATE repair_requests SET warranty_last_day = :last, in_warranty = :covered WHERE id = :id")
    for repair_id, received_at, months, start in rows:
        last = _last_covered_day(start, months)
        connection.execute(update, {"last": last, "covered": start <= _local_day(received_at) <= last,
                                    "id": repair_id})


def downgrade():
    # The earlier judgements were wrong by a day: they are not made wrong again.
    pass
