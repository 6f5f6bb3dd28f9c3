"""The web application through Flask's test client: every page, every role boundary, CSRF, sign-in
lock-out, forms from JSON Schema, and agency isolation. Real SQLite (and PostgreSQL where the table
is ours), no mocks."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from engine import services
from engine.clock import ManualClock
from engine.config import Settings
from engine.services.accounts import LOCK_MINUTES, MAX_FAILURES
from motcua.bootstrap import bootstrap
from tests import webui_support
from tests.conftest import AGENCY, OTHER_AGENCY
from tests.webui_support import FORMS_DIR, PASSWORD, five_stage_with_forms, invalid_bpmn, users_of
from webui import create_app

# Shared fixtures: a seeded SQLite template, copied for each test.
seeded_sqlite_template = webui_support.seeded_sqlite_template
seeded_sqlite_url = webui_support.seeded_sqlite_url

MONDAY_8AM_HANOI = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def build(url, tmp_path, csrf=False, insecure=False):
    clock = ManualClock(MONDAY_8AM_HANOI)
    settings = Settings(
        database_url=url,
        data_dir=tmp_path,
        processes_dir=tmp_path / "no-processes",
        forms_dir=FORMS_DIR,
        extra={"MOTCUA_INSECURE_COOKIES": "1"} if insecure else {},
    )
    ctx = bootstrap(settings, clock=clock)
    app = create_app(ctx, {"WTF_CSRF_ENABLED": csrf, "TESTING": True})
    return ctx, app, clock


@pytest.fixture
def web(seeded_sqlite_url, tmp_path):
    ctx, app, clock = build(seeded_sqlite_url, tmp_path)
    yield ctx, app, users_of(ctx), clock
    ctx.db.dispose()


def client_for(app, username=None):
    """A client signed in as ``username`` (its session set directly: signing in is tested on its own,
    and hashing a password per request would make these tests slow)."""
    client = app.test_client()
    if username:
        user = services.get_user(app.extensions["motcua"], username)
        with client.session_transaction() as session:
            session.update(user_id=user.id, username=user.username)
    return client


def sign_in(app, username, password=PASSWORD):
    return app.test_client().post("/login", data={"username": username, "password": password})


def submit(ctx, users, who="tiepnhan", agency=AGENCY, **data):
    data.setdefault("applicant_name", "Lê Thị Hoa")
    return services.submit_dossier(ctx, "five_stage", agency, data, users[who])


def open_task(ctx, user, dossier_id):
    return next(t for t in services.list_tasks(ctx, user) if t.dossier_id == dossier_id)


def advance_to(ctx, users, dossier, stage):
    """Complete tasks of the dossier until its open task is at ``stage``."""
    steps = [
        (
            "intake",
            "tiepnhan",
            {"applicant_name": "Lê Thị Hoa", "id_number": "001190012345", "complete": True},
        ),
        ("appraisal", "thamdinh", {"appraisal_note": "Đủ", "exempt": True}),
        ("approval", "pheduyet", {"decision": "approve"}),
        ("stamping", "vanthu", {"register_number": 7}),
        ("return", "tiepnhan", {"received_by": "Lê Thị Hoa"}),
    ]
    for step, who, data in steps:
        if step == stage:
            return open_task(ctx, users[who], dossier.id)
        services.complete_task(ctx, open_task(ctx, users[who], dossier.id).id, users[who], data)
    return None


def text(response) -> str:
    return response.get_data(as_text=True)


# --------------------------------------------------------------------------- pages and roles

PAGES = [
    "/inbox",
    "/dossiers",
    "/dossiers/new",
    "/dashboard/",
    "/designer/",
    "/admin/",
    "/analyst/",
    "/account",
]
ALLOWED = {
    "tiepnhan": {"/inbox", "/dossiers", "/dossiers/new"},
    "thamdinh": {"/inbox", "/dossiers"},
    "pheduyet": {"/inbox", "/dossiers"},
    "vanthu": {"/inbox", "/dossiers"},
    "giamsat": {"/inbox", "/dossiers", "/dashboard/"},
    "thietke": {"/designer/"},
    "phantich": {"/analyst/"},
    "quantri": {"/dashboard/", "/designer/", "/admin/", "/analyst/"},
}


def test_every_page_answers_each_role_by_its_rights(web):
    ctx, app, users, _ = web
    for username, allowed in ALLOWED.items():
        client = client_for(app, username)
        for page in PAGES:
            status = client.get(page).status_code
            expected = 200 if page in allowed or page == "/account" else 403
            assert status == expected, (username, page, status)


@pytest.mark.parametrize("page", [*PAGES, "/tasks/00000000-0000-0000-0000-000000000000", "/dossiers/1"])
def test_anonymous_visitors_are_sent_to_sign_in(web, page):
    _, app, _, _ = web
    response = app.test_client().get(page)
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


def test_anonymous_posts_are_refused(web):
    ctx, app, users, _ = web
    task = open_task(ctx, users["tiepnhan"], submit(ctx, users).id)
    client = app.test_client()
    assert client.post(f"/tasks/{task.id}/claim").status_code == 401
    assert client.post(f"/tasks/{task.id}/complete", data={}).status_code == 401
    assert services.get_task(ctx, task.id).assignee is None


def test_the_start_page_leads_each_role_to_its_work(web):
    _, app, _, _ = web
    assert app.test_client().get("/").location == "/login"
    assert client_for(app, "thamdinh").get("/").location == "/inbox"
    assert client_for(app, "thietke").get("/").location == "/designer/"
    assert client_for(app, "phantich").get("/").location == "/analyst/"
    assert client_for(app, "quantri").get("/").location == "/admin/"


def test_health_check(web):
    _, app, _, _ = web
    assert app.test_client().get("/healthz").get_json() == {"status": "ok"}


def test_pages_forbid_framing_and_scripts_from_elsewhere(web):
    _, app, _, _ = web
    headers = app.test_client().get("/login").headers
    assert "script-src 'self';" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"


# --------------------------------------------------------------------------- signing in


def test_sign_in_goes_back_to_the_page_asked_for_but_never_off_site(web):
    _, app, _, _ = web
    client = app.test_client()
    response = client.post("/login?next=/dossiers", data={"username": "thamdinh", "password": PASSWORD})
    assert response.location == "/dossiers"
    assert client.get("/dossiers").status_code == 200
    response = app.test_client().post(
        "/login?next=//evil.example/x", data={"username": "thamdinh", "password": PASSWORD}
    )
    assert response.location == "/inbox"


def test_a_wrong_password_is_refused_with_a_message(web):
    _, app, _, _ = web
    client = app.test_client()
    response = client.post("/login", data={"username": "thamdinh", "password": "sai-mat-khau"})
    assert response.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in text(response)
    assert client.get("/inbox").status_code == 302


def test_repeated_failures_lock_the_account_until_the_lock_ends(database_url, tmp_path):
    ctx, app, clock = build(database_url, tmp_path)
    services.create_agency(ctx, AGENCY, "Trung tâm Phục vụ hành chính công phường Ba Đình")
    for name in ("thamdinh", "pheduyet"):
        services.create_user(ctx, name, name, AGENCY, ["appraiser"], PASSWORD)
    client = app.test_client()
    for _ in range(MAX_FAILURES - 1):
        client.post("/login", data={"username": "thamdinh", "password": "sai"})
    assert sign_in(app, "thamdinh").status_code == 302  # a success before the limit clears the count
    for _ in range(MAX_FAILURES):
        assert client.post("/login", data={"username": "thamdinh", "password": "sai"}).status_code == 401
    locked = client.post("/login", data={"username": "thamdinh", "password": PASSWORD})
    assert locked.status_code == 401
    assert "Tài khoản tạm khóa" in text(locked)
    assert client.get("/inbox").status_code == 302
    assert sign_in(app, "pheduyet").status_code == 302  # another officer is not affected
    clock.advance(timedelta(minutes=LOCK_MINUTES, seconds=1))
    assert sign_in(app, "thamdinh").status_code == 302
    ctx.db.dispose()


def test_session_cookie_is_httponly_samesite_and_secure_unless_configured_off(seeded_sqlite_url, tmp_path):
    for insecure in (False, True):
        ctx, app, _ = build(seeded_sqlite_url, tmp_path, insecure=insecure)
        cookie = sign_in(app, "tiepnhan").headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("Secure" in cookie) is not insecure
        ctx.db.dispose()


def test_sign_out_ends_the_session(web):
    _, app, _, _ = web
    client = client_for(app, "tiepnhan")
    assert client.post("/logout").location == "/login"
    assert client.get("/inbox").status_code == 302


def test_a_deactivated_officer_is_signed_out(web):
    ctx, app, _, _ = web
    client = client_for(app, "tiepnhan")
    from engine.store.models import User

    with ctx.db.transaction() as s:
        s.query(User).filter(User.username == "tiepnhan").update({"active": False})
    assert client.get("/inbox").status_code == 302


# --------------------------------------------------------------------------- CSRF


def csrf_of(page_html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page_html).group(1)


def test_forms_without_the_csrf_token_are_refused(seeded_sqlite_url, tmp_path):
    ctx, app, _ = build(seeded_sqlite_url, tmp_path, csrf=True)
    users = users_of(ctx)
    client = app.test_client()
    refused = client.post("/login", data={"username": "tiepnhan", "password": PASSWORD})
    assert refused.status_code == 400
    assert "CSRF" in text(refused)
    token = csrf_of(text(client.get("/login")))
    assert (
        client.post(
            "/login", data={"username": "tiepnhan", "password": PASSWORD, "csrf_token": token}
        ).status_code
        == 302
    )
    task = open_task(ctx, users["tiepnhan"], submit(ctx, users).id)
    assert client.post(f"/tasks/{task.id}/claim").status_code == 400
    assert client.post(f"/tasks/{task.id}/complete", data={"applicant_name": "X"}).status_code == 400
    assert client.post("/admin/agencies", data={"code": "X", "name": "Y"}).status_code == 400
    assert client.post("/logout").status_code == 400
    assert services.get_task(ctx, task.id).assignee is None
    # htmx sends the token in a header.
    page = text(client.get("/inbox"))
    header_token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    response = client.post(
        f"/tasks/{task.id}/claim", headers={"X-CSRFToken": header_token, "HX-Request": "true"}
    )
    assert response.status_code == 200
    assert services.get_task(ctx, task.id).assignee == "tiepnhan"
    ctx.db.dispose()


# --------------------------------------------------------------------------- inbox


def test_the_inbox_lists_overdue_tasks_first_with_their_colour(web):
    ctx, app, users, clock = web
    early = submit(ctx, users, applicant_name="Người Nộp Sớm")
    clock.advance(timedelta(hours=1))
    late = submit(ctx, users, applicant_name="Người Nộp Muộn")
    clock.advance(timedelta(hours=1, minutes=30))  # the first intake (2 h) is now overdue, the second not
    page = text(client_for(app, "tiepnhan").get("/inbox"))
    rows = re.findall(
        r'<tr id="task-[^"]+" class="task-row (row-due-\w+)">.*?href="/dossiers/(\d+)"', page, re.S
    )
    assert rows == [("row-due-overdue", str(early.id)), ("row-due-soon", str(late.id))]


def test_inbox_filters_by_stage_and_procedure_and_answers_htmx_with_the_list_only(web):
    ctx, app, users, _ = web
    first = submit(ctx, users)
    advance_to(ctx, users, first, "approval")
    submit(ctx, users)
    client = client_for(app, "giamsat")
    services.create_user(ctx, "lanhdao", "Lãnh Đạo", AGENCY, ["approver", "intake_officer"], PASSWORD)
    client = client_for(app, "lanhdao")
    both = text(client.get("/inbox"))
    assert both.count('class="task-row') == 2
    approval_only = client.get(
        "/inbox?stage=approval", headers={"HX-Request": "true", "HX-Target": "task-list"}
    )
    body = text(approval_only)
    assert body.lstrip().startswith('<section id="task-list"')
    assert body.count('class="task-row') == 1 and "Phê duyệt" in body
    assert text(client.get("/inbox?procedure=no_such_procedure")).count('class="task-row') == 0
    assert text(client.get("/inbox?procedure=five_stage")).count('class="task-row') == 2


def test_claim_and_release_swap_the_row(web):
    ctx, app, users, _ = web
    task = open_task(ctx, users["tiepnhan"], submit(ctx, users).id)
    client = client_for(app, "tiepnhan")
    claimed = client.post(f"/tasks/{task.id}/claim", headers={"HX-Request": "true"})
    assert claimed.status_code == 200
    assert text(claimed).lstrip().startswith(f'<tr id="task-{task.id}"')
    assert "Trả lại" in text(claimed) and "tiepnhan" in text(claimed)
    assert text(client.get("/inbox?scope=mine")).count('class="task-row') == 1
    other = client_for(app, "giamsat")
    assert other.post(f"/tasks/{task.id}/claim").status_code == 403  # a supervisor cannot do intake
    released = client.post(f"/tasks/{task.id}/release", headers={"HX-Request": "true"})
    assert "Nhận việc" in text(released)
    assert services.get_task(ctx, task.id).assignee is None
    # Without htmx the officer is sent back where they were, with a message.
    response = client.post(f"/tasks/{task.id}/claim", headers={"Referer": "/inbox"})
    assert response.status_code == 302
    assert "Đã nhận xử lý" in text(client.get("/inbox"))


def test_claiming_a_task_someone_else_holds_is_a_conflict(web):
    ctx, app, users, _ = web
    services.create_user(ctx, "tiepnhan2", "Tiếp Nhận Hai", AGENCY, ["intake_officer"], PASSWORD)
    task = open_task(ctx, users["tiepnhan"], submit(ctx, users).id)
    client_for(app, "tiepnhan").post(f"/tasks/{task.id}/claim")
    response = client_for(app, "tiepnhan2").post(f"/tasks/{task.id}/claim", headers={"HX-Request": "true"})
    assert response.status_code == 409
    assert "flash-error" in text(response)


# --------------------------------------------------------------------------- task page and forms


def test_the_task_form_is_rendered_from_its_schema_with_registry_values_marked(web):
    ctx, app, users, _ = web
    dossier = submit(
        ctx,
        users,
        applicant_lookup={
            "status": "match",
            "person": {"full_name": "Lê Thị Hoa", "id_number": "001190012345"},
        },
    )
    task = open_task(ctx, users["tiepnhan"], dossier.id)
    page = text(client_for(app, "tiepnhan").get(f"/tasks/{task.id}"))
    assert "Họ và tên người nộp" in page and "Số định danh cá nhân" in page
    assert page.count("từ CSDL quốc gia về dân cư") >= 2
    assert 'value="001190012345"' in page
    assert re.search(r'id="field-id_number"[^>]*>', page)
    assert 'class="field  from-registry"' in page or "from-registry" in page
    assert 'type="checkbox" name="complete"' in page
    en = client_for(app, "tiepnhan")
    en.post("/lang/en")
    page_en = text(en.get(f"/tasks/{task.id}"))
    assert "Personal ID number" in page_en and "from the national population database" in page_en


def test_validation_errors_are_shown_inline_and_nothing_moves(web):
    ctx, app, users, _ = web
    dossier = submit(ctx, users)
    task = advance_to(ctx, users, dossier, "stamping")
    client = client_for(app, "vanthu")
    response = client.post(f"/tasks/{task.id}/complete", data={"register_number": "bảy"})
    assert response.status_code == 422
    page = text(response)
    assert re.search(r'id="field-register_number">.*?Cần nhập một số nguyên\.', page, re.S)
    assert 'value="bảy"' in page
    assert services.get_task(ctx, task.id).state == "open"
    response = client.post(f"/tasks/{task.id}/complete", data={})
    assert "Trường này là bắt buộc." in text(response)
    client.post("/lang/en")
    page = text(client.post(f"/tasks/{task.id}/complete", data={"register_number": "bảy"}))
    assert "Enter a whole number." in page and "Some fields need attention." in page


def test_errors_from_the_form_validator_are_shown_on_their_field(web):
    ctx, app, users, _ = web

    class TwelveDigits:
        def validate(self, task, data):
            value = data.get("id_number")
            if value is not None and not re.fullmatch(r"\d{12}", str(value)):
                return {"id_number": "Số định danh gồm 12 chữ số."}
            return {}

    ctx.forms = TwelveDigits()
    task = open_task(ctx, users["tiepnhan"], submit(ctx, users).id)
    response = client_for(app, "tiepnhan").post(
        f"/tasks/{task.id}/complete", data={"applicant_name": "Lê Thị Hoa", "id_number": "123"}
    )
    assert response.status_code == 422
    assert re.search(r'id="field-id_number">.*?Số định danh gồm 12 chữ số\.', text(response), re.S)


def test_completing_goes_straight_to_my_next_task(web):
    ctx, app, users, _ = web
    services.create_user(
        ctx, "motcua", "Cán Bộ Một Cửa", OTHER_AGENCY, ["intake_officer", "appraiser"], PASSWORD
    )
    officer = services.get_user(ctx, "motcua")
    dossier = services.submit_dossier(ctx, "five_stage", OTHER_AGENCY, {"applicant_name": "A"}, officer)
    task = open_task(ctx, officer, dossier.id)
    client = client_for(app, "motcua")
    response = client.post(
        f"/tasks/{task.id}/complete",
        data={"applicant_name": "A", "id_number": "001190012345", "complete": "on"},
    )
    appraisal = open_task(ctx, officer, dossier.id)
    assert appraisal.stage == "appraisal"
    assert response.location == f"/tasks/{appraisal.id}"
    assert services.get_dossier(ctx, dossier.id).tasks[0].data  # completed with the data
    response = client.post(f"/tasks/{appraisal.id}/complete", data={"appraisal_note": "Đủ"})
    assert response.location == "/inbox"
    assert "Không còn việc nào đang chờ bạn." in text(client.get("/inbox"))
    done = text(client.get("/inbox?scope=done"))
    assert "Tiếp nhận hồ sơ" in done and "Thẩm định hồ sơ" in done
    assert text(client.get("/inbox?scope=mine")).count('class="task-row') == 0


def test_an_appraiser_cannot_approve(web):
    ctx, app, users, _ = web
    task = advance_to(ctx, users, submit(ctx, users), "approval")
    client = client_for(app, "thamdinh")
    page = text(client.get(f"/tasks/{task.id}"))
    assert "bạn chỉ có thể xem" in page
    assert "Hoàn thành và chuyển bước" not in page
    response = client.post(f"/tasks/{task.id}/complete", data={"decision": "approve"})
    assert response.status_code == 403
    assert client.post(f"/tasks/{task.id}/claim").status_code == 403
    assert services.get_task(ctx, task.id).state == "open"
    assert (
        client_for(app, "pheduyet")
        .post(f"/tasks/{task.id}/complete", data={"decision": "approve"})
        .status_code
        == 302
    )


def test_an_intake_officer_receives_a_new_dossier(web):
    ctx, app, users, _ = web
    client = client_for(app, "tiepnhan")
    assert client.post("/dossiers/new", data={"process": "five_stage"}).status_code == 422
    response = client.post(
        "/dossiers/new", data={"process": "five_stage", "applicant_name": "Ngô Văn Bảy", "channel": "post"}
    )
    dossier = services.list_dossiers(ctx, users["tiepnhan"])[0]
    assert dossier.applicant_name == "Ngô Văn Bảy" and dossier.channel == "post"
    assert response.location == f"/tasks/{open_task(ctx, users['tiepnhan'], dossier.id).id}"
    assert (
        client_for(app, "thamdinh").post("/dossiers/new", data={"process": "five_stage"}).status_code == 403
    )


# --------------------------------------------------------------------------- agencies


def test_an_officer_cannot_see_another_agencys_dossiers_or_tasks(web):
    ctx, app, users, _ = web
    dossier = submit(ctx, users)
    task = open_task(ctx, users["tiepnhan"], dossier.id)
    outsider = client_for(app, "hoankiem")
    assert outsider.get(f"/dossiers/{dossier.id}").status_code == 404
    assert outsider.get(f"/tasks/{task.id}").status_code == 404
    assert outsider.post(f"/tasks/{task.id}/claim").status_code == 404
    assert outsider.post(f"/tasks/{task.id}/complete", data={"applicant_name": "X"}).status_code == 404
    assert 'class="task-row' not in text(outsider.get("/inbox"))
    assert f"/dossiers/{dossier.id}" not in text(outsider.get("/dossiers"))
    assert services.get_task(ctx, task.id).state == "open"
    insider = client_for(app, "thamdinh")
    assert insider.get(f"/dossiers/{dossier.id}").status_code == 200


# --------------------------------------------------------------------------- dossier page


def diagram_marks(page: str) -> dict:
    return json.loads(re.search(r"data-marks='([^']*)'", page).group(1))


def test_the_dossier_page_marks_done_current_and_overdue_elements_and_shows_the_timeline(web):
    ctx, app, users, clock = web
    dossier = submit(ctx, users)
    advance_to(ctx, users, dossier, "approval")
    client = client_for(app, "giamsat")
    page = text(client.get(f"/dossiers/{dossier.id}"))
    assert 'id="diagram-xml"' in page and "Participant_five_stage" in page  # the version's BPMN
    marks = diagram_marks(page)
    assert {"intake", "appraise", "fee", "decide"} <= set(marks["completed"])
    assert marks["current"] == ["approve"] and marks["overdue"] == []
    assert "tiepnhan" in page and "thamdinh" in page and "nộp hồ sơ" in page
    clock.advance(timedelta(days=1))
    marks = diagram_marks(text(client.get(f"/dossiers/{dossier.id}")))
    assert marks["current"] == [] and marks["overdue"] == ["approve"]


def test_the_dossier_list_filters_by_state(web):
    ctx, app, users, _ = web
    done = submit(ctx, users, applicant_name="Đã Xong")
    advance_to(ctx, users, done, None)
    submit(ctx, users, applicant_name="Đang Làm")
    client = client_for(app, "tiepnhan")
    assert "Đã Xong" in text(client.get("/dossiers?state=completed"))
    assert "Đang Làm" not in text(client.get("/dossiers?state=completed"))
    assert "Đang Làm" in text(client.get("/dossiers?state=running"))


# --------------------------------------------------------------------------- designer


def upload(client, *files, action="check"):
    data = {"action": action, "files": [(io.BytesIO(f.content), f.filename) for f in files]}
    return client.post("/designer/upload", data=data, content_type="multipart/form-data")


def test_an_invalid_model_is_reported_with_its_faulty_elements_marked(web):
    ctx, app, _, _ = web
    client = client_for(app, "thietke")
    for action in ("check", "deploy"):
        response = upload(client, invalid_bpmn(), action=action)
        assert response.status_code == 422
        page = text(response)
        assert diagram_marks(page)["error"] == ["approve", "fee"]
        assert "stage-invalid" in page and "script-forbidden" in page
    assert [v.version for v in services.list_versions(ctx, "five_stage")] == [1]


def test_a_valid_model_is_checked_then_deployed_as_a_new_version(web):
    ctx, app, _, _ = web
    client = client_for(app, "thietke")
    model = five_stage_with_forms()
    changed = type(model)(model.filename, model.content.replace(b'value="2"/>', b'value="3"/>', 1))
    assert "hợp lệ" in text(upload(client, changed))
    response = upload(client, changed, action="deploy")
    assert response.location == "/designer/processes/five_stage"
    assert [v.version for v in services.list_versions(ctx, "five_stage")] == [2, 1]
    page = text(client.get("/designer/processes/five_stage"))
    assert "v2" in page and "Đã triển khai five_stage phiên bản 2." in page
    again = upload(client, changed, action="deploy")
    assert "vẫn là phiên bản 2" in text(client.get(again.location))


def test_uploads_other_than_models_and_forms_are_refused(web):
    _, app, _, _ = web
    client = client_for(app, "thietke")
    bad = type(invalid_bpmn())("notes.exe", b"MZ")
    response = upload(client, bad)
    assert response.status_code == 422
    assert "notes.exe" in text(response)


def test_the_modeler_saves_a_new_version_or_answers_with_diagnostics(web):
    ctx, app, _, _ = web
    client = client_for(app, "thietke")
    version = services.list_versions(ctx, "five_stage")[0]
    page = text(client.get(f"/designer/versions/{version.id}/edit"))
    assert "bpmn-modeler.production.min.js" in page and "Lưu thành phiên bản mới" in page
    xml = five_stage_with_forms().content.decode().replace("Phê duyệt", "Phê duyệt hồ sơ")
    saved = client.post(f"/designer/versions/{version.id}/save", data={"xml": xml})
    assert saved.status_code == 200 and saved.get_json()["version"] == 2
    bad = client.post(f"/designer/versions/{version.id}/save", data={"xml": invalid_bpmn().content.decode()})
    assert bad.status_code == 422
    assert {d["element_id"] for d in bad.get_json()["diagnostics"]} == {"approve", "fee"}
    assert (
        client_for(app, "thamdinh")
        .post(f"/designer/versions/{version.id}/save", data={"xml": xml})
        .status_code
        == 403
    )
    assert [v.version for v in services.list_versions(ctx, "five_stage")] == [2, 1]


def test_a_version_page_shows_its_diagram(web):
    ctx, app, _, _ = web
    version = services.list_versions(ctx, "five_stage")[0]
    page = text(client_for(app, "thietke").get(f"/designer/versions/{version.id}"))
    assert 'id="diagram-xml"' in page and "Participant_five_stage" in page
    assert client_for(app, "thietke").get("/designer/versions/999").status_code == 404


# --------------------------------------------------------------------------- dashboard, admin, analyst


def test_the_dashboard_counts_open_and_overdue_tasks_per_stage(web):
    ctx, app, users, clock = web
    advance_to(ctx, users, submit(ctx, users), "approval")
    submit(ctx, users)
    submit(ctx, users, who="hoankiem", agency=OTHER_AGENCY)  # another agency: not counted
    clock.advance(timedelta(hours=2, minutes=30))
    page = text(client_for(app, "giamsat").get("/dashboard/"))
    charts = json.loads(
        re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', page, re.S).group(1)
    )
    assert charts["procedures"] == ["five_stage"]
    assert charts["open_by_stage"] == [[1], [0], [1], [0], [0]]
    assert charts["overdue_by_stage"] == [1, 0, 1, 0, 0]
    overdue = re.search(r'id="overdue-tasks">(.*?)</section>', page, re.S).group(1)
    assert "Việc đang quá hạn (2)" in overdue
    assert "Tiếp nhận hồ sơ" in overdue and "Phê duyệt" in overdue and "Lãnh đạo phê duyệt" in overdue
    assert 'id="sla-reports"' in page
    statuses = re.search(r'id="national-statuses">(.*?)</table>', page, re.S).group(1)
    assert sum(int(n) for n in re.findall(r'<td class="num">(\d+)</td>', statuses)) == 2


def test_an_administrator_adds_agencies_and_officers(web):
    ctx, app, _, _ = web
    client = client_for(app, "quantri")
    response = client.post(
        "/admin/agencies", data={"code": "000.20.01.H26", "name": "UBND xã Mới", "level": "commune"}
    )
    assert response.status_code == 302
    response = client.post(
        "/admin/users",
        data={
            "username": "canbo.moi",
            "full_name": "Cán Bộ Mới",
            "agency": "000.20.01.H26",
            "roles": ["appraiser", "clerk"],
            "password": "mat-khau-moi-1",
        },
    )
    assert response.status_code == 302
    assert services.get_user(ctx, "canbo.moi").roles == ("appraiser", "clerk")
    assert sign_in(app, "canbo.moi", "mat-khau-moi-1").status_code == 302
    duplicate = client.post("/admin/agencies", data={"code": "000.20.01.H26", "name": "Trùng"})
    assert duplicate.status_code == 422 and "already exists" in text(duplicate)
    short = client.post("/admin/users", data={"username": "x", "agency": AGENCY, "password": "ngan"})
    assert short.status_code == 422 and "At least 8 characters." in text(short)
    assert (
        client_for(app, "giamsat").post("/admin/agencies", data={"code": "Z", "name": "Z"}).status_code == 403
    )


def test_the_language_switch_keeps_to_this_site(web):
    _, app, _, _ = web
    client = client_for(app, "tiepnhan")
    assert "Việc cần làm" in text(client.get("/inbox"))
    response = client.post("/lang/en", data={"next": "//evil.example/"})
    assert response.location == "/"
    assert client.post("/lang/en", data={"next": "/\\evil.example/"}).location == "/"
    page = text(client.get("/inbox"))
    assert "Inbox" in page and 'lang="en"' in page
    client.post("/lang/vi", data={"next": "/dossiers"})
    assert 'lang="vi"' in text(client.get("/inbox"))


def test_a_form_uploaded_with_the_model_is_the_one_its_task_shows(web):
    ctx, app, users, _ = web
    marker = b'<spiffworkflow:property name="stage" value="intake"/>'
    model = (FORMS_DIR.parent / "bpmn" / "five_stage.bpmn").read_bytes()
    model = model.replace(marker, marker + b'<spiffworkflow:property name="form" value="rieng/intake.json"/>')
    form = {
        "title": "Biểu mẫu riêng",
        "type": "object",
        "properties": {"ghi_chu_rieng": {"type": "string", "title": "Trường riêng của phiên bản"}},
    }
    files = [
        type(invalid_bpmn())("five_stage.bpmn", model),
        type(invalid_bpmn())("intake.json", json.dumps(form, ensure_ascii=False).encode()),
    ]
    response = upload(client_for(app, "thietke"), *files, action="deploy")
    assert response.status_code == 302
    task = open_task(ctx, users["tiepnhan"], submit(ctx, users).id)
    assert task.process_version == 2
    page = text(client_for(app, "tiepnhan").get(f"/tasks/{task.id}"))
    assert "Trường riêng của phiên bản" in page and 'name="ghi_chu_rieng"' in page


def test_a_bug_shows_a_plain_error_page_without_the_traceback(seeded_sqlite_url, tmp_path):
    ctx = bootstrap(Settings(database_url=seeded_sqlite_url, data_dir=tmp_path))
    app = create_app(ctx)

    def broken():
        raise RuntimeError("secret internals")

    app.add_url_rule("/broken", view_func=broken)
    response = app.test_client().get("/broken")
    assert response.status_code == 500
    assert "Lỗi hệ thống" in text(response) and "secret internals" not in text(response)
    ctx.db.dispose()


def test_a_dossier_in_error_shows_where_and_can_be_retried(web):
    ctx, app, users, _ = web
    dossier = services.submit_dossier(ctx, "five_stage", AGENCY, {"applicant_name": "A"}, users["tiepnhan"])
    task = open_task(ctx, users["tiepnhan"], dossier.id)
    services.complete_task(
        ctx,
        task.id,
        users["tiepnhan"],
        {"complete": True, "applicant_name": "A", "id_number": "001090012345"},
    )
    task = open_task(ctx, users["thamdinh"], dossier.id)
    services.complete_task(
        ctx, task.id, users["thamdinh"], {"appraisal_note": "đủ"}
    )  # no "exempt": the fee fails
    client = client_for(app, "thamdinh")
    page = text(client.get(f"/dossiers/{dossier.id}"))
    assert diagram_marks(page)["error"] == ["fee"]
    assert "Chạy lại bước lỗi" in page
    response = client.post(f"/dossiers/{dossier.id}/retry")
    assert response.location == f"/dossiers/{dossier.id}"
    page = text(client.get(response.location))
    assert "Chạy lại vẫn lỗi" in page and "chạy lại" in page  # the flash and the timeline entry
    assert client_for(app, "hoankiem").post(f"/dossiers/{dossier.id}/retry").status_code == 404


def test_unknown_api_urls_answer_json(web):
    _, app, _, _ = web
    response = app.test_client().get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.get_json()["message"]


def test_an_officer_changes_their_password(web):
    _, app, _, _ = web
    client = client_for(app, "vanthu")
    wrong = client.post("/account", data={"current_password": "sai", "new_password": "ngan"})
    assert wrong.status_code == 422
    page = text(wrong)
    assert "Mật khẩu hiện tại không đúng." in page and "Mật khẩu mới cần ít nhất 8 ký tự." in page
    assert (
        client.post(
            "/account", data={"current_password": PASSWORD, "new_password": "mat-khau-moi-9"}
        ).status_code
        == 302
    )
    assert sign_in(app, "vanthu").status_code == 401
    assert sign_in(app, "vanthu", "mat-khau-moi-9").status_code == 302


def test_an_administrator_changes_roles_deactivates_and_resets_a_password(web):
    ctx, app, _, _ = web
    admin = client_for(app, "quantri")
    assert "Cán bộ thẩm định" in text(admin.get("/admin/users/thamdinh"))
    response = admin.post("/admin/users/thamdinh", data={"roles": ["appraiser", "approver"], "active": "on"})
    assert response.status_code == 302
    assert services.get_user(ctx, "thamdinh").roles == ("appraiser", "approver")
    officer = client_for(app, "thamdinh")
    admin.post("/admin/users/thamdinh", data={"roles": ["appraiser"]})  # not active any more
    assert officer.get("/inbox").status_code == 302
    assert sign_in(app, "thamdinh").status_code == 401
    admin.post(
        "/admin/users/thamdinh", data={"roles": ["appraiser"], "active": "on", "password": "dat-lai-123"}
    )
    assert sign_in(app, "thamdinh", "dat-lai-123").status_code == 302
    # An administrator cannot lock themselves out, and only administrators edit accounts.
    refused = admin.post("/admin/users/quantri", data={"roles": ["designer"], "active": "on"})
    assert refused.status_code == 422 and "Không thể tự bỏ quyền quản trị" in text(refused)
    assert (
        client_for(app, "giamsat").post("/admin/users/thamdinh", data={"roles": ["admin"]}).status_code == 403
    )
    assert admin.get("/admin/users/khong-co").status_code == 404


def test_the_dossier_list_pages_and_finds_a_dossier_by_number(web):
    ctx, app, users, _ = web
    from webui.officer import DOSSIERS_PER_PAGE

    made = [submit(ctx, users, applicant_name=f"Người nộp {i}") for i in range(DOSSIERS_PER_PAGE + 2)]
    client = client_for(app, "tiepnhan")
    first = text(client.get("/dossiers"))
    assert len(re.findall(r"Người nộp \d+", first)) == DOSSIERS_PER_PAGE and "Trang sau" in first
    second = text(client.get("/dossiers?page=2"))
    assert (
        len(re.findall(r"Người nộp \d+", second)) == 2
        and "Trang trước" in second
        and "Trang sau" not in second
    )
    assert client.get(f"/dossiers?find=%23{made[3].id}").location == f"/dossiers/{made[3].id}"
    assert "Nhập số hồ sơ" in text(client.get("/dossiers?find=abc", follow_redirects=True))


def test_a_dossier_page_offers_its_legal_forms_as_pdf_to_its_agency_only(web):
    import io

    from pypdf import PdfReader

    from tests.conftest import fixture_file

    ctx, app, users, _ = web
    services.deploy(ctx, [fixture_file("accept_on_submit.bpmn")])
    dossier = services.submit_dossier(
        ctx, "accept_on_submit", AGENCY, {"applicant_name": "Lê Thị Hoa"}, users["tiepnhan"]
    )
    client = client_for(app, "tiepnhan")
    page = text(client.get(f"/dossiers/{dossier.id}"))
    assert "Giấy tiếp nhận và hẹn trả kết quả" in page and "Phiếu kiểm soát quá trình giải quyết" in page
    assert "Kết quả đã ký số" not in page  # nothing stamped yet

    receipt = client.get(f"/dossiers/{dossier.id}/forms/receipt.pdf")
    assert receipt.status_code == 200 and receipt.mimetype == "application/pdf"
    words = "".join(p.extract_text() for p in PdfReader(io.BytesIO(receipt.data)).pages)
    assert "Lê Thị Hoa" in words and "TIẾP NHẬN" in words.upper()

    assert client.get(f"/dossiers/{dossier.id}/result.pdf").status_code == 404
    assert client.get(f"/dossiers/{dossier.id}/forms/nonsense.pdf").status_code == 422
    assert client_for(app, "hoankiem").get(f"/dossiers/{dossier.id}/forms/receipt.pdf").status_code == 404
