"""The ``motcua`` command drives a dossier end to end; every command is a new process."""

from __future__ import annotations

import json

import pytest

from tests.cli_support import motcua_env, run_motcua
from tests.conftest import AGENCY, FIXTURES


def _runner(tmp_path, database_url):
    env = motcua_env(tmp_path, database_url, [("five-stage", "five_stage.bpmn")])

    def motcua(*args: str, expect: int = 0) -> str:
        done = run_motcua(env, *args, expect=expect)
        return done.stdout + done.stderr

    return motcua


@pytest.fixture
def run(tmp_path, database_url):
    """On SQLite and on PostgreSQL."""
    return _runner(tmp_path, database_url)


@pytest.fixture
def run_sqlite(tmp_path, sqlite_url):
    return _runner(tmp_path, sqlite_url)


def test_a_dossier_runs_end_to_end_from_the_shell(run):
    assert "deployed" in run("init", "--demo")
    assert "unchanged" in run("init")  # idempotent: same bytes, same version
    submitted = json.loads(
        run(
            "dossier",
            "submit",
            "five_stage",
            "--agency",
            AGENCY,
            "--as",
            "tiepnhan",
            "--data",
            '{"exempt": false, "applicant_name": "Phạm Văn Bình"}',
            "--json",
        )
    )
    dossier_id = submitted["id"]
    for officer, data in [
        ("tiepnhan", {"complete": True}),
        ("thamdinh", {}),
        ("pheduyet", {}),
        ("vanthu", {}),
        ("tiepnhan", {"returned_by": "counter"}),
    ]:
        [task] = json.loads(run("task", "list", "--as", officer, "--json"))
        if officer == "thamdinh":
            assert "claimed" in run("task", "claim", task["id"], "--as", officer)
        out = run("task", "complete", task["id"], "--as", officer, "--data", json.dumps(data))
        assert f"dossier {dossier_id}" in out
    shown = json.loads(run("dossier", "show", str(dossier_id), "--json"))
    assert shown["dossier"]["run_state"] == "completed"
    assert [t["stage"] for t in shown["tasks"]] == ["intake", "appraisal", "approval", "stamping", "return"]
    completions = [
        (e["activity"], e["actor"])
        for e in shown["events"]
        if e["lifecycle"] == "complete" and e["element_type"] == "UserTask"
    ]
    assert completions == [
        ("intake", "tiepnhan"),
        ("appraise", "thamdinh"),
        ("approve", "pheduyet"),
        ("stamp", "vanthu"),
        ("return", "tiepnhan"),
    ]


def test_wrong_officer_gets_a_message_not_a_traceback(run_sqlite):
    run = run_sqlite
    run("init", "--demo")
    run("dossier", "submit", "five_stage", "--agency", AGENCY, "--as", "tiepnhan", "--data", "{}")
    [task] = json.loads(run("task", "list", "--as", "tiepnhan", "--json"))
    out = run("task", "complete", task["id"], "--as", "thamdinh", expect=1)
    assert "needs the role intake_officer" in out and "Traceback" not in out
    assert "There is no user" in run("task", "list", "--as", "nobody", expect=1)


def test_validate_exit_codes_and_json(run_sqlite, tmp_path):
    run = run_sqlite
    good = FIXTURES / "bpmn" / "five_stage.bpmn"
    assert "valid: process five_stage" in run("validate", str(good))
    bad = tmp_path / "bad.bpmn"
    bad.write_bytes(good.read_bytes().replace(b"fee = 0 if exempt else 8000", b"import os"))
    report = json.loads(run("validate", str(bad), "--json", expect=1))
    assert report["valid"] is False
    assert report["diagnostics"][0]["code"] == "script-forbidden"
    assert report["diagnostics"][0]["element_id"] == "fee"
    evil = tmp_path / "xxe.bpmn"
    evil.write_text('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>')
    assert "xml-dtd-forbidden" in run("validate", str(evil), expect=1)


def test_worker_refuses_a_job_size_that_is_not_a_positive_number(tmp_path, sqlite_url):
    env = motcua_env(tmp_path, sqlite_url, REDIS_URL="redis://127.0.0.1:1/0", MOTCUA_TIMER_JOB_SIZE="twenty")
    refused = run_motcua(env, "worker", "--burst", expect=2)
    assert "MOTCUA_TIMER_JOB_SIZE must be a whole number of at least 1, not 'twenty'" in refused.stderr
    refused = run_motcua(env, "worker", "--burst", "--job-size", "0", expect=2)
    assert "--job-size" in refused.stderr and "Traceback" not in refused.stderr
