"""On-time dashboard, escalations, the holiday / swapped-day table and the sign-in page's public links."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from engine import services
from engine.store.models import Agency, Dossier
from engine.store.sla_tables import SlaAlert
from tests.conftest import AGENCY

from .conftest import text

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _dossier(ctx, received: datetime, due: datetime, finished: datetime | None, code: str) -> int:
    view = services.submit_dossier(ctx, "five_stage", AGENCY, {"exempt": False})
    with ctx.db.transaction() as s:
        d = s.get(Dossier, view.id)
        d.received_at, d.due_at, d.finished_at = received, due, finished
        d.status = 9 if finished else 4
        d.code, d.procedure_code = code, "five_stage"
    return view.id


def test_ontime_figures_and_trend_for_a_chosen_period(web_ctx, signed_in):
    day = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội
    _dossier(web_ctx, day, day + timedelta(days=5), day + timedelta(days=2), "HS-EARLY")
    _dossier(web_ctx, day, day + timedelta(days=5), day + timedelta(days=5), "HS-ONTIME")
    _dossier(web_ctx, day + timedelta(days=31), day + timedelta(days=33), day + timedelta(days=40), "HS-LATE")
    _dossier(web_ctx, day + timedelta(days=31), day + timedelta(days=35), None, "HS-OPEN")
    supervisor = signed_in("giamsat")
    response = supervisor.get("/dashboard/?from=2026-03-01&to=2026-04-30&group=month")
    assert response.status_code == 200
    page = text(response)
    table = page[page.index('id="ontime-table"') :]
    row = table[table.index("five_stage") : table.index("</tr>", table.index("five_stage"))]
    cells = [c.split("</td>")[0] for c in row.split("<td>")[1:]]
    # received, carried over, early, on time, late, within, past due, returned, share
    assert cells[1:10] == ["4", "0", "1", "1", "1", "0", "1", "0", "66.7 %"], cells
    assert '"periods": ["03/2026", "04/2026"]' in page
    assert '"early": [1, 0]' in page and '"late": [0, 1]' in page
    # a period with nothing finished; weeks
    weekly = text(supervisor.get("/dashboard/?from=2026-03-02&to=2026-03-15&group=week"))
    assert '"periods": ["02/03", "09/03"]' in weekly
    csv = supervisor.get("/dashboard/ontime.csv?from=2026-03-01&to=2026-04-30")
    assert csv.status_code == 200 and csv.mimetype == "text/csv" and "five_stage" in text(csv)


@sqlite_only
def test_period_errors_are_shown_inline(signed_in):
    supervisor = signed_in("giamsat")
    response = supervisor.get("/dashboard/?from=2026-05-01&to=2026-04-01")
    assert response.status_code == 422
    assert "Ngày kết thúc trước ngày bắt đầu." in text(response)
    bad = supervisor.get("/dashboard/?from=hom-qua")
    assert bad.status_code == 422 and 'class="field-error"' in text(bad)


def test_supervisor_sees_escalations_linked_to_dossiers(web_ctx, signed_in):
    now = datetime.now(UTC)
    dossier_id = _dossier(web_ctx, now - timedelta(days=4), now - timedelta(hours=1), None, "HS-TRE-01")
    with web_ctx.db.transaction() as s:
        agency = s.scalar(select(Agency).where(Agency.code == AGENCY))
        s.add(
            SlaAlert(
                dossier_id=dossier_id, agency_id=agency.id, kind="sla_overdue", recipient_role="supervisor",
                bpmn_id="appraise", label="Thẩm định hồ sơ", message="Bước thẩm định đã quá hạn.",
                due_at=now - timedelta(hours=1), created_at=now,
            )
        )  # fmt: skip
    supervisor = signed_in("giamsat")
    page = text(supervisor.get("/dashboard/"))
    escalations = page[page.index('id="escalations"') :]
    assert f'href="/dossiers/{dossier_id}"' in escalations
    assert "HS-TRE-01" in escalations and "Bước xử lý quá hạn" in escalations
    ack = re.search(r'action="(/dashboard/escalations/\d+/acknowledge)"', escalations).group(1)
    assert supervisor.post(ack, csrf=False).status_code == 400
    assert supervisor.post(ack, headers={"HX-Request": "true"}).status_code == 200
    assert "HS-TRE-01" not in text(supervisor.get("/dashboard/"))  # seen: off the list
    assert signed_in("tiepnhan").get("/dashboard/").status_code == 403


@sqlite_only
def test_admin_edits_the_swapped_days_table(web_ctx, signed_in):
    admin = signed_in("quantri")
    page = text(admin.get("/admin/calendar/?year=2026"))
    assert "Tết" in page or "Tet" in page  # the computed holidays are listed
    response = admin.post(
        "/admin/calendar/", {"year": "2026", "day": "2026-05-02", "kind": "off", "note": "nghỉ bù"}
    )
    assert response.status_code == 302
    listed = text(admin.get("/admin/calendar/?year=2026"))
    assert "02/05/2026" in listed and "nghỉ bù" in listed
    assert not web_ctx.calendar.is_working_day(date(2026, 5, 2))
    response = admin.post("/admin/calendar/", {"year": "2026", "day": "2026-05-09", "kind": "working"})
    assert response.status_code == 302 and web_ctx.calendar.is_working_day(date(2026, 5, 9))  # a Saturday
    invalid = admin.post("/admin/calendar/", {"year": "2026", "day": "31/02/2026", "kind": "nghi"})
    assert invalid.status_code == 422
    assert "Nhập ngày hợp lệ" in text(invalid) and "Chọn ngày nghỉ hoặc ngày làm việc bù." in text(invalid)
    removed = admin.post("/admin/calendar/2026-05-09/delete")
    assert removed.status_code == 302
    assert not web_ctx.calendar.is_working_day(date(2026, 5, 9))
    assert admin.post("/admin/calendar/2026-05-09/delete").status_code == 404
    assert admin.post("/admin/calendar/", {"day": "2026-05-03", "kind": "off"}, csrf=False).status_code == 400
    for who in ("tiepnhan", "giamsat", "phantich"):
        assert signed_in(who).get("/admin/calendar/").status_code == 403, who


@sqlite_only
def test_sign_in_page_links_the_public_pages(app):
    client = app.test_client()
    page = text(client.get("/login"))
    assert 'href="/tra-cuu"' in page and 'action="/xac-thuc"' in page
    assert client.get("/tra-cuu").status_code == 200
    verify = client.get("/xac-thuc?token=abc123")
    assert verify.status_code == 302 and verify.headers["Location"].endswith("/verify/abc123")
    assert client.get(verify.headers["Location"]).status_code == 404  # unknown token: a plain not-found
