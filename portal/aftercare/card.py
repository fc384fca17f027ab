"""The warranty card (保修卡) PDF: project facts, periods per kind of work, service phone, QR to the owner's page.

003 流程26 (给客户保修卡); 000 办理保修流程 (开具保修单). Rendered from plain data, in Chinese like the
pass certificate, and stored at handover (the QR code carries the owner's token, which is not kept).
"""
from __future__ import annotations

import segno
from flask import current_app
from flask_babel import force_locale

from portal.aftercare import clocks
from portal.aftercare.messages import kind_label
from portal.aftercare.models import CompletionAcceptance
from portal.aftercare.warranty import SOURCE, last_covered_day
from portal.pdf import render_pdf


def card_data(acceptance: CompletionAcceptance, owner_url: str) -> dict:
    """Plain data for the card template."""
    project = acceptance.project
    with force_locale("zh_CN"):
        periods = [{"kind": kind_label(kind), "years": _years(months),
                    "until": last_covered_day(acceptance.warranty_start, months).isoformat()}
                   for kind, months in sorted(acceptance.warranty_months.items(), key=lambda kv: (-kv[1], kv[0]))]
    return {
        "company": current_app.config["COMPANY_NAME"], "number": acceptance.card_number,
        "contract_no": project.contract_no, "address": project.address, "owner": project.owner_name,
        "foreman": project.foreman.display_name if project.foreman else "",
        "inspector": acceptance.inspector.display_name, "start": acceptance.warranty_start.isoformat(),
        "periods": periods, "source": SOURCE, "phone": current_app.config.get("SERVICE_PHONE") or "",
        "owner_url": owner_url, "qr": segno.make(owner_url, error="m").png_data_uri(scale=4, border=2),
        # The promise printed is the clock the portal keeps (clocks.repair_steps): contact within service hours.
        "service_hours": f"{clocks.SERVICE_START:%H:%M}–{clocks.SERVICE_END:%H:%M}",
        "contact_hours": clocks.CONTACT_HOURS, "plan_hours": clocks.PLAN_HOURS,
        "follow_up_hours": clocks.FOLLOW_UP_HOURS,
    }


def _years(months: int) -> str:
    return f"{months // 12} 年" if months % 12 == 0 else f"{months} 个月"


def render_card_pdf(acceptance: CompletionAcceptance, owner_url: str) -> bytes:
    """The warranty card as PDF bytes."""
    return render_pdf("aftercare/card_pdf.html", data=card_data(acceptance, owner_url))
