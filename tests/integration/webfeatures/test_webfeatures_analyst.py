"""Reform analyst pages: a simulation and a comparison run as background jobs (the in-process runner
here; rq in test_webfeatures_rq.py), with progress, the report and role boundaries."""

from __future__ import annotations

import io
import json
import re
import time

import pytest

from .conftest import CATALOG, text

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def wait_done(officer, job_url: str, limit: float = 30.0) -> str:
    """Polls the progress fragment as htmx does, until it asks for a refresh; the job page then."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        response = officer.get(job_url + "/progress", headers={"HX-Request": "true"})
        assert response.status_code == 200
        if response.headers.get("HX-Refresh") == "true":
            return text(officer.get(job_url))
        time.sleep(0.1)
    raise AssertionError("the simulation job did not finish")


def test_compare_catalog_procedure_as_background_job(signed_in):
    analyst = signed_in("phantich")
    page = text(analyst.get("/analyst/"))
    assert "birth_registration" in page and "Chạy mô phỏng" in page
    response = analyst.post(
        "/analyst/run",
        {"source": "catalog", "procedure": "birth_registration", "mode": "compare", "cases": "60",
         "replications": "3", "seed": "7"},
    )  # fmt: skip
    assert response.status_code == 303
    job_url = response.headers["Location"]
    first = text(analyst.get(job_url))
    assert 'role="progressbar"' in first or "Chỉ số" in first  # progress bar until the report exists
    report = wait_done(analyst, job_url)
    assert "Chênh lệch (to-be − as-is)" in report  # side by side, with the paired difference
    assert re.search(r"\[[^\]]+ – [^\]]+\]", report)  # intervals shown
    assert "Hiện tại (as-is)" in report and "Đề xuất (to-be)" in report
    summary = analyst.get(job_url + "/report.json")
    data = json.loads(summary.get_data(as_text=True))
    assert data["as_is"]["settings"] == {
        **data["as_is"]["settings"],
        "cases": 60,
        "replications": 3,
        "seed": 7,
    }
    assert data["as_is"]["process_id"] == "birth_registration_as_is"
    assert data["to_be"]["process_id"] == "birth_registration_to_be"
    assert "cycle_time" in data["difference"]
    html = analyst.get(job_url + "/report.html")
    assert html.status_code == 200 and html.mimetype == "text/html"
    assert "birth_registration_to_be" in text(html)
    # the job is listed on the analyst's page
    assert job_url.rsplit("/", 1)[-1] in text(analyst.get("/analyst/"))


def test_uploaded_model_and_scenario_run(signed_in):
    analyst = signed_in("phantich")
    folder = CATALOG / "birth_registration"
    response = analyst.post(
        "/analyst/run",
        {
            "source": "upload",
            "bpmn": (io.BytesIO((folder / "to-be.bpmn").read_bytes()), "to-be.bpmn"),
            "scenario": (io.BytesIO((folder / "scenario.to-be.json").read_bytes()), "scenario.to-be.json"),
            "cases": "40",
            "replications": "2",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, text(response)[:2000]
    report = wait_done(analyst, response.headers["Location"])
    assert "birth_registration_to_be" in report and "Chênh lệch" not in report


def test_invalid_inputs_are_shown_beside_their_fields(signed_in):
    analyst = signed_in("phantich")
    response = analyst.post(
        "/analyst/run",
        {
            "source": "upload",
            "bpmn": (io.BytesIO(b"<not-bpmn/>"), "x.bpmn"),
            "scenario": (io.BytesIO(b"{not json"), "s.json"),
            "cases": "abc",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = text(response)
    assert page.count('class="field-error"') >= 2
    assert "Kịch bản không phải JSON hợp lệ" in page and "Phải là số nguyên." in page
    response = analyst.post("/analyst/run", {"source": "catalog", "procedure": "khong_co", "mode": "compare"})
    assert response.status_code == 422 and "Chọn một thủ tục trong danh mục." in text(response)


def test_failed_job_shows_its_error(signed_in):
    analyst = signed_in("phantich")
    folder = CATALOG / "birth_registration"
    scenario = json.loads((folder / "scenario.as-is.json").read_text(encoding="utf-8"))
    scenario["resources"] = {}  # no officer for any lane: the simulator refuses it
    response = analyst.post(
        "/analyst/run",
        {
            "source": "upload",
            "bpmn": (io.BytesIO((folder / "as-is.bpmn").read_bytes()), "as-is.bpmn"),
            "scenario": (io.BytesIO(json.dumps(scenario).encode()), "s.json"),
            "cases": "20",
        },
        content_type="multipart/form-data",
    )
    # refused before a job starts when the scenario check sees it, else the job fails and says why
    if response.status_code == 422:
        assert 'class="field-error"' in text(response)
    else:
        page = wait_done(analyst, response.headers["Location"])
        assert 'id="job-error"' in page


def test_role_boundaries_and_csrf(signed_in, app):
    intake = signed_in("tiepnhan")
    for url in ("/analyst/", "/admin/calendar/", "/analyst/jobs/x"):
        assert intake.get(url).status_code == 403, url
    assert intake.post("/analyst/run", {"source": "catalog"}).status_code == 403
    assert app.test_client().get("/analyst/").status_code == 302  # anonymous: to sign-in
    analyst = signed_in("phantich")
    assert analyst.get("/analyst/jobs/khong-co").status_code == 404
    refused = analyst.post(
        "/analyst/run", {"source": "catalog", "procedure": "birth_registration"}, csrf=False
    )
    assert refused.status_code == 400 and "CSRF" in text(refused)
    admin = signed_in("quantri")
    assert admin.get("/analyst/").status_code == 200
