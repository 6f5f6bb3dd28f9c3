"""Deployment: versions by content, dossiers pinned to their version, specs parsed once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine import services
from engine.bpmn.validation import SourceFile
from engine.errors import DeploymentRejected, PermissionDenied
from engine.store.models import ProcessFile, ProcessVersion
from tests.conftest import AGENCY, fixture_file


def five_stage_v2() -> SourceFile:
    original = fixture_file("five_stage.bpmn")
    changed = original.content.replace(b"fee = 0 if exempt else 8000", b"fee = 0 if exempt else 10000")
    assert changed != original.content
    return SourceFile("five_stage.bpmn", changed)


def test_redeploying_identical_bytes_makes_no_new_version(ctx, officers):
    first = services.deploy(ctx, [fixture_file("five_stage.bpmn")], officers["designer"])
    again = services.deploy(
        ctx, [SourceFile("renamed.bpmn", fixture_file("five_stage.bpmn").content)], officers["designer"]
    )
    assert first.created and not again.created
    assert again.version.id == first.version.id and again.version.version == 1
    assert [v.version for v in services.list_versions(ctx, "five_stage")] == [1]
    changed = services.deploy(ctx, [five_stage_v2()], officers["designer"])
    assert changed.created and changed.version.version == 2
    assert [p.latest_version for p in services.list_processes(ctx)] == [2]


def test_running_dossiers_stay_on_the_version_they_started_with(ctx, officers):
    services.deploy(ctx, [fixture_file("five_stage.bpmn")])
    old = services.submit_dossier(ctx, "five_stage", AGENCY, {"exempt": False}, officers["intake"])
    services.deploy(ctx, [five_stage_v2()])
    new = services.submit_dossier(ctx, "five_stage", AGENCY, {"exempt": False}, officers["intake"])
    assert (old.process_version, new.process_version) == (1, 2)
    fees = {}
    for dossier in (old, new):
        for role in ("intake", "appraiser"):
            [task] = [t for t in services.list_tasks(ctx, officers[role]) if t.dossier_id == dossier.id]
            services.complete_task(ctx, task.id, officers[role], {"complete": True})
        detail = services.get_dossier(ctx, dossier.id)
        fees[detail.dossier.process_version] = next(
            e.data["fee"] for e in detail.events if e.activity == "fee" and e.lifecycle == "complete"
        )
    assert fees == {1: 8000, 2: 10000}


def test_an_invalid_model_is_rejected_and_nothing_is_stored(ctx, officers):
    bad = SourceFile(
        "bad.bpmn",
        fixture_file("five_stage.bpmn").content.replace(
            b"fee = 0 if exempt else 8000", b"fee = __import__('os').getpid()"
        ),
    )
    with pytest.raises(DeploymentRejected) as caught:
        services.deploy(ctx, [bad], officers["designer"])
    [problem] = caught.value.diagnostics
    assert (problem.code, problem.element_id) == ("script-forbidden", "fee")
    with ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(ProcessVersion)) == 0
        assert s.scalar(select(func.count()).select_from(ProcessFile)) == 0


def test_only_designers_deploy(ctx, officers):
    with pytest.raises(PermissionDenied):
        services.deploy(ctx, [fixture_file("five_stage.bpmn")], officers["appraiser"])


def test_specs_are_parsed_once_per_version_not_per_request(make_context, database_url, officers, ctx):
    services.deploy(ctx, [fixture_file("five_stage.bpmn")])
    fresh = make_context(database_url)  # a new process: empty cache
    for _ in range(3):
        dossier = services.submit_dossier(fresh, "five_stage", AGENCY, {"exempt": True}, officers["intake"])
        [task] = [t for t in services.list_tasks(fresh, officers["intake"]) if t.dossier_id == dossier.id]
        services.complete_task(fresh, task.id, officers["intake"], {"complete": True})
        services.get_dossier(fresh, dossier.id)
    assert fresh.specs.parses == 1
