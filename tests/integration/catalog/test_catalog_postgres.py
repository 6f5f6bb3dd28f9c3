"""The catalog on both databases: one to-be model with its supplement loop (the SQLite sweep covers
every model)."""

from __future__ import annotations

from .driver import run


def test_a_to_be_dossier_with_a_supplement_runs_on_both_databases(ctx, officers):
    supplement = {"appraisal_result": "supplement", "supplement_request": "Xác nhận của chủ hộ"}
    detail, done, events = run(ctx, officers, "permanent_residence", "to-be", {"appraise": [supplement]})
    assert detail.dossier.run_state == "completed"
    assert events == ["accepted", "supplement_requested", "supplement_received", "result_ready", "returned"]
    assert [t.stage for t in detail.tasks] == [
        "intake",
        "appraisal",
        "intake",
        "appraisal",
        "approval",
        "stamping",
        "return",
    ]
