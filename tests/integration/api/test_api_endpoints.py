"""Every /api/v1 endpoint through the Flask test client, on SQLite and PostgreSQL: what an
integration sees, including each role and agency boundary."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import update

from engine import services
from engine.services import tokens
from engine.store.models import User
from tests.conftest import AGENCY, OTHER_AGENCY
from webui import create_app

from .conftest import FIVE_STAGE, only_task

BROKEN_BPMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="broken" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="nowhere"/>
  </bpmn:process>
</bpmn:definitions>"""


def _upload(client, headers, name: str, content: bytes, **query):
    return client.post(
        "/api/v1/processes",
        data={"files": (io.BytesIO(content), name)},
        headers=headers,
        query_string=query,
        content_type="multipart/form-data",
    )


def _error(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.get_json())
    body = response.get_json()
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["fields"], dict)
    return body


# ------------------------------------------------------------------------- document and authentication


def test_the_openapi_document_describes_every_endpoint_and_the_bearer_scheme(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"].startswith("3.")
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "motcua token create USER",
    }
    assert {
        ("post", "/api/v1/processes"),
        ("get", "/api/v1/processes"),
        ("get", "/api/v1/processes/{process_key}/versions"),
        ("post", "/api/v1/dossiers"),
        ("get", "/api/v1/dossiers/{dossier_id}"),
        ("get", "/api/v1/tasks"),
        ("post", "/api/v1/tasks/{task_id}/claim"),
        ("post", "/api/v1/tasks/{task_id}/release"),
        ("post", "/api/v1/tasks/{task_id}/complete"),
    } <= {(method, path) for path, ops in doc["paths"].items() for method in ops}
    errors = doc["paths"]["/api/v1/tasks/{task_id}/complete"]["post"]["responses"]
    assert {"200", "401", "403", "404", "409", "422"} <= set(errors)


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer mct_not-a-token", "Basic dGllcG5oYW46c2VjcmV0", "Bearer " + "x" * 500],
    ids=["none", "empty", "unknown", "basic", "huge"],
)
def test_requests_without_a_valid_token_are_refused_with_401(client, officers, header):
    headers = {"Authorization": header} if header else {}
    for method, path in [
        ("get", "/api/v1/tasks"),
        ("get", "/api/v1/processes"),
        ("post", "/api/v1/dossiers"),
    ]:
        body = _error(getattr(client, method)(path, headers=headers, json={}), 401)
        assert body["fields"] == {}
    response = client.get("/api/v1/tasks", headers=headers)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_stops_working_at_once(ctx, client, officers):
    new = tokens.create_token(ctx, "tiepnhan", "portal")
    headers = {"Authorization": f"Bearer {new.secret}"}
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200
    tokens.revoke_token(ctx, new.token.id)
    _error(client.get("/api/v1/tasks", headers=headers), 401)


def test_tokens_are_stored_only_as_hashes_and_record_their_use(ctx, client, officers):
    new = tokens.create_token(ctx, "thamdinh", "mobile app")
    assert new.secret.startswith("mct_") and len(new.secret) > 40
    [listed] = tokens.list_tokens(ctx, "thamdinh")
    assert listed.last_used_at is None and listed.prefix == new.secret[:10]
    client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {new.secret}"})
    [listed] = tokens.list_tokens(ctx, "thamdinh")
    assert listed.last_used_at is not None
    with ctx.db.engine.connect() as conn:
        dump = " ".join(str(row) for row in conn.exec_driver_sql("SELECT * FROM api_tokens"))
    assert new.secret not in dump and tokens.hash_secret(new.secret) in dump


def test_unknown_api_paths_answer_json_while_pages_keep_html(client, bearer):
    body = _error(client.get("/api/v1/nothing-here", headers=bearer["intake"]), 404)
    assert body["fields"] == {}
    _error(client.delete("/api/v1/tasks", headers=bearer["intake"]), 405)
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.mimetype == "text/html"


# ------------------------------------------------------------------------- processes


def test_a_designer_deploys_a_process_and_redeploying_the_same_files_changes_nothing(client, bearer):
    first = _upload(client, bearer["designer"], FIVE_STAGE.name, FIVE_STAGE.read_bytes())
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["created"] is True
    assert body["version"]["process_key"] == "five_stage" and body["version"]["version"] == 1
    assert body["version"]["files"] == ["five_stage.bpmn"]

    again = _upload(client, bearer["designer"], FIVE_STAGE.name, FIVE_STAGE.read_bytes())
    assert again.status_code == 200
    assert again.get_json()["created"] is False and again.get_json()["version"]["version"] == 1

    processes = client.get("/api/v1/processes", headers=bearer["intake"]).get_json()
    assert [(p["key"], p["latest_version"], p["versions"]) for p in processes] == [("five_stage", 1, 1)]
    versions = client.get("/api/v1/processes/five_stage/versions", headers=bearer["intake"]).get_json()
    assert [v["version"] for v in versions] == [1]


def test_an_invalid_model_is_refused_with_422_and_diagnostics_naming_the_element(client, bearer):
    body = _error(_upload(client, bearer["designer"], "broken.bpmn", BROKEN_BPMN), 422)
    assert body["diagnostics"], body
    assert all({"code", "severity", "message"} <= set(d) for d in body["diagnostics"])
    assert any(d["severity"] == "error" for d in body["diagnostics"])
    assert client.get("/api/v1/processes", headers=bearer["designer"]).get_json() == []


def test_only_designers_deploy_and_an_upload_needs_files(client, bearer):
    body = _error(_upload(client, bearer["intake"], FIVE_STAGE.name, FIVE_STAGE.read_bytes()), 403)
    assert "designer" in body["message"]
    body = _error(client.post("/api/v1/processes", headers=bearer["designer"], data={}), 422)
    assert "files" in body["fields"]


def test_versions_of_an_unknown_process_are_404(client, bearer):
    _error(client.get("/api/v1/processes/nope/versions", headers=bearer["intake"]), 404)


# ------------------------------------------------------------------------- dossiers


def test_submit_a_dossier_and_read_it_back_with_its_tasks_and_log(client, bearer, submit):
    dossier = submit({"exempt": False, "applicant_name": "Lê Thị Hoa"}, channel="online")
    assert dossier["process_key"] == "five_stage" and dossier["run_state"] == "running"
    assert dossier["agency_code"] == "000.10.01.H26" and dossier["channel"] == "online"
    assert dossier["applicant_name"] == "Lê Thị Hoa"

    detail = client.get(f"/api/v1/dossiers/{dossier['id']}", headers=bearer["approver"])
    assert detail.status_code == 200
    body = detail.get_json()
    assert body["dossier"]["id"] == dossier["id"]
    assert [(t["bpmn_id"], t["state"], t["stage"]) for t in body["tasks"]] == [("intake", "open", "intake")]
    assert body["events"][0]["lifecycle"] == "submit" and body["events"][0]["actor"] == "tiepnhan"


def test_agency_b_cannot_see_agency_a_dossiers_or_submit_for_it(client, bearer, submit):
    dossier = submit()
    body = _error(client.get(f"/api/v1/dossiers/{dossier['id']}", headers=bearer["other_intake"]), 404)
    assert str(dossier["id"]) in body["message"]
    body = {"process_key": "five_stage", "agency_code": "000.10.01.H26"}
    _error(client.post("/api/v1/dossiers", json=body, headers=bearer["other_intake"]), 403)
    tasks = client.get("/api/v1/tasks", headers=bearer["other_intake"]).get_json()
    assert tasks == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"process_key": "five_stage", "channel": "fax"}, "channel"),
        ({"process_key": "five_stage", "colour": "blue"}, "colour"),
        ({}, "process_key"),
        ({"process_key": "five_stage", "data": []}, "data"),
        ({"process_key": "five_stage", "data": {"note": "a\x00b"}}, "data.note"),
        ({"process_key": "five_stage", "version": 0}, "version"),
        ({"process_key": "five_stage", "version": "2"}, "version"),
        ({"process_key": "five_stage", "data": {"_secret": 1}}, "_secret"),
    ],
    ids=[
        "channel",
        "unknown-field",
        "missing-key",
        "data-list",
        "nul",
        "version-0",
        "version-text",
        "underscore",
    ],
)
def test_invalid_dossier_submissions_are_422_naming_the_field(client, bearer, deployed, body, field):
    problem = _error(client.post("/api/v1/dossiers", json=body, headers=bearer["intake"]), 422)
    assert field in problem["fields"], problem


def test_malformed_json_is_400_and_unknown_things_are_404(client, bearer, deployed):
    response = client.post(
        "/api/v1/dossiers", data="{not json", headers=bearer["intake"], content_type="application/json"
    )
    _error(response, 400)
    _error(client.post("/api/v1/dossiers", json={"process_key": "nope"}, headers=bearer["intake"]), 404)
    _error(client.get("/api/v1/dossiers/999999", headers=bearer["intake"]), 404)
    _error(client.get(f"/api/v1/dossiers/{2**70}", headers=bearer["intake"]), 404)
    body = {"process_key": "five_stage", "version": 7}
    _error(client.post("/api/v1/dossiers", json=body, headers=bearer["intake"]), 404)


# ------------------------------------------------------------------------- tasks


def test_a_dossier_goes_through_all_five_stages_through_the_api(client, bearer, submit):
    dossier = submit()
    for officer, stage in [
        ("intake", "intake"),
        ("appraiser", "appraisal"),
        ("approver", "approval"),
        ("clerk", "stamping"),
        ("intake", "return"),
    ]:
        task = only_task(client, bearer[officer], dossier["id"])
        assert task["stage"] == stage
        claimed = client.post(f"/api/v1/tasks/{task['id']}/claim", headers=bearer[officer])
        assert claimed.status_code == 200 and claimed.get_json()["assignee"] is not None
        mine = client.get("/api/v1/tasks?scope=mine", headers=bearer[officer]).get_json()
        assert [t["id"] for t in mine] == [task["id"]]
        done = client.post(
            f"/api/v1/tasks/{task['id']}/complete",
            json={"data": {"complete": True, f"{stage}_note": "đủ"}},
            headers=bearer[officer],
        )
        assert done.status_code == 200, done.get_json()
        result = done.get_json()
        assert result["task"]["state"] == "completed" and result["task"]["completed_by"] is not None
    assert result["dossier"]["run_state"] == "completed" and result["next_tasks"] == []
    done_list = client.get("/api/v1/tasks?scope=done", headers=bearer["intake"]).get_json()
    assert {t["stage"] for t in done_list} == {"intake", "return"}


def test_complete_returns_the_next_task_of_an_officer_holding_that_role_too(ctx, client, submit, officers):
    services.create_user(ctx, "daniang", "Đa Năng", "000.10.01.H26", ["intake_officer", "appraiser"])
    headers = {"Authorization": f"Bearer {tokens.create_token(ctx, 'daniang').secret}"}
    dossier = submit()
    task = only_task(client, headers, dossier["id"])
    result = client.post(f"/api/v1/tasks/{task['id']}/complete", json={}, headers=headers).get_json()
    assert [t["stage"] for t in result["next_tasks"]] == ["appraisal"]


def test_an_appraiser_cannot_approve(client, bearer, submit):
    dossier = submit()
    for officer in ("intake", "appraiser"):
        task = only_task(client, bearer[officer], dossier["id"])
        done = client.post(
            f"/api/v1/tasks/{task['id']}/complete", json={"data": {"complete": True}}, headers=bearer[officer]
        )
        assert done.status_code == 200
    approval = only_task(client, bearer["approver"], dossier["id"])
    assert approval["stage"] == "approval"
    assert [t for t in client.get("/api/v1/tasks", headers=bearer["appraiser"]).get_json()] == []
    for action in ("claim", "complete"):
        body = _error(
            client.post(f"/api/v1/tasks/{approval['id']}/{action}", json={}, headers=bearer["appraiser"]), 403
        )
        assert "approver" in body["message"]
    still = client.get(f"/api/v1/tasks/{approval['id']}", headers=bearer["approver"]).get_json()
    assert still["state"] == "open" and still["assignee"] is None


def test_claim_and_release_between_two_officers(ctx, client, bearer, submit):
    services.create_user(ctx, "tiepnhan2", "Tiếp Nhận Hai", "000.10.01.H26", ["intake_officer"])
    second = {"Authorization": f"Bearer {tokens.create_token(ctx, 'tiepnhan2').secret}"}
    task = only_task(client, bearer["intake"], submit()["id"])
    url = f"/api/v1/tasks/{task['id']}"
    assert client.post(f"{url}/claim", headers=bearer["intake"]).get_json()["assignee"] == "tiepnhan"
    _error(client.post(f"{url}/claim", headers=second), 409)
    _error(client.post(f"{url}/complete", json={}, headers=second), 409)
    _error(client.post(f"{url}/release", headers=second), 403)
    # a supervisor may release others' claims only on tasks of roles they hold
    _error(client.post(f"{url}/release", headers=bearer["supervisor"]), 403)
    assert client.post(f"{url}/release", headers=bearer["intake"]).get_json()["assignee"] is None
    _error(client.post(f"{url}/release", headers=bearer["intake"]), 409)
    assert client.post(f"{url}/claim", headers=second).get_json()["assignee"] == "tiepnhan2"
    client.post(f"{url}/complete", json={}, headers=second)
    body = _error(client.post(f"{url}/complete", json={}, headers=second), 409)
    assert "completed" in body["message"]


def test_task_requests_with_bad_input(client, bearer, submit):
    task = only_task(client, bearer["intake"], submit()["id"])
    url = f"/api/v1/tasks/{task['id']}"
    _error(client.post(f"{url}/complete", json={"data": "yes"}, headers=bearer["intake"]), 422)
    _error(client.post(f"{url}/complete", json={"data": {}, "extra": 1}, headers=bearer["intake"]), 422)
    body = _error(client.get("/api/v1/tasks?scope=everything", headers=bearer["intake"]), 422)
    assert "scope" in body["fields"]
    _error(client.get("/api/v1/tasks?limit=0", headers=bearer["intake"]), 422)
    _error(client.post("/api/v1/tasks/not-a-uuid/claim", headers=bearer["intake"]), 404)
    _error(
        client.post("/api/v1/tasks/00000000-0000-0000-0000-000000000000/claim", headers=bearer["intake"]), 404
    )
    other = _error(client.get(url, headers=bearer["other_intake"]), 404)
    assert task["id"] in other["message"]


def test_inbox_filters_by_stage_and_process(client, bearer, submit):
    submit()
    submit()
    assert len(client.get("/api/v1/tasks?stage=intake", headers=bearer["intake"]).get_json()) == 2
    assert client.get("/api/v1/tasks?stage=return", headers=bearer["intake"]).get_json() == []
    assert client.get("/api/v1/tasks?process_key=other", headers=bearer["intake"]).get_json() == []
    assert len(client.get("/api/v1/tasks?limit=1", headers=bearer["intake"]).get_json()) == 1


# ------------------------------------------------------------------------- features of other modules


def test_simulation_is_for_reform_analysts(client, bearer):
    response = client.post("/api/v1/simulations", json={"procedure_code": "x"}, headers=bearer["intake"])
    _error(response, 403)
    assert "/api/v1/simulations" in client.get("/api/v1/openapi.json").get_json()["paths"]


def test_a_reform_analyst_compares_a_catalog_procedure_through_the_api(make_context, database_url):
    from engine.config import PROJECT_ROOT

    ctx = make_context(database_url, processes_dir=PROJECT_ROOT / "processes")
    services.create_agency(ctx, AGENCY, "Trung tâm")
    services.create_user(ctx, "phantich", "Phân tích", AGENCY, ["reform_analyst"])
    app = create_app(ctx)
    headers = {"Authorization": f"Bearer {tokens.create_token(ctx, 'phantich', 'tests').secret}"}
    client = app.test_client()
    body = {"procedure_code": "birth_registration", "cases": 200, "replications": 2, "seed": 7}
    report = client.post("/api/v1/simulations", json=body, headers=headers)
    assert report.status_code == 200, report.get_json()
    result = report.get_json()["result"]
    again = client.post("/api/v1/simulations", json=body, headers=headers).get_json()["result"]
    assert {"as_is", "to_be"} <= set(result)
    assert result["to_be"]["process_id"] == "birth_registration_to_be"
    for variant in ("as_is", "to_be"):  # same seed, same figures (only the run's own timing differs)
        assert result[variant]["cycle_time_histogram"] == again[variant]["cycle_time_histogram"]
    _error(client.post("/api/v1/simulations", json={**body, "procedure_code": "nope"}, headers=headers), 404)
    bad = _error(client.post("/api/v1/simulations", json={**body, "cases": 10**7}, headers=headers), 422)
    assert "cases" in bad["fields"]


def test_escalations_are_for_supervisors(client, bearer):
    response = client.get("/api/v1/escalations", headers=bearer["supervisor"])
    assert response.status_code == 200 and response.get_json()["items"] == []
    _error(client.get("/api/v1/escalations", headers=bearer["intake"]), 403)


def test_engine_errors_map_to_statuses_in_one_place():
    from engine.errors import Conflict, DeploymentRejected, InvalidInput, NotFound, PermissionDenied
    from webui.api.errors import status_for

    assert [
        status_for(e)
        for e in (
            InvalidInput("x"),
            DeploymentRejected("x", []),
            NotFound("x"),
            PermissionDenied("x"),
            Conflict("x"),
        )
    ] == [422, 422, 404, 403, 409]


def test_other_agency_code_is_checked(client, bearer, deployed):
    body = {"process_key": "five_stage", "agency_code": OTHER_AGENCY}
    _error(client.post("/api/v1/dossiers", json=body, headers=bearer["intake"]), 403)


def test_a_disabled_officers_tokens_stop_working(ctx, client, bearer):
    assert client.get("/api/v1/tasks", headers=bearer["clerk"]).status_code == 200
    with ctx.db.transaction() as s:
        s.execute(update(User).where(User.username == "vanthu").values(active=False))
    _error(client.get("/api/v1/tasks", headers=bearer["clerk"]), 401)
    assert client.get("/api/v1/tasks", headers=bearer["approver"]).status_code == 200
