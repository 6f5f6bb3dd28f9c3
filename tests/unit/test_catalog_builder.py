"""The catalog generator on a procedure of its own (in memory): models that validate and run, with
the forms' example data driving the fast path."""

from __future__ import annotations

from engine.bpmn.operators import RunContext
from engine.bpmn.runtime import ProcessRuntime
from engine.bpmn.validation import SourceFile, validate
from engine.forms import check
from motcua.catalog_builder import (
    Field,
    Hours,
    PaperDocument,
    ProcedureModel,
    Step,
    as_is_graph,
    forms_for,
    render_bpmn,
    to_be_graph,
)

PAPER_ONLY = ProcedureModel(
    code="seal_registration",
    name_vi="Đăng ký mẫu con dấu",
    result_vi="Giấy chứng nhận mẫu dấu",
    fields=(Field("seal_text", "Nội dung con dấu", "Seal text", example="UBND xã Vũ Thư"),),
    documents=(PaperDocument("DON", "Đơn đề nghị", "Application"),),
    lookups=(),  # nothing the population registry can replace
    steps=(Step("check_seal", "Kiểm tra mẫu dấu"), Step("appraise", "Thẩm định", share=2)),
    as_is_hours=Hours(intake=2, transfer=1, appraisal=6, approval=2, stamping=1, ret=1),
    to_be_hours=Hours(intake=1, transfer=0, appraisal=3, approval=1, stamping=1, ret=1),
)


def _run(graph, forms, overrides=None):
    overrides = overrides or {}
    result = validate([SourceFile("model.bpmn", render_bpmn(graph))])
    assert result.ok and not result.warnings, [str(d) for d in result.diagnostics]
    model = result.process
    runtime = ProcessRuntime()
    context = RunContext(dossier_id=1, actor="tester")
    outcome = runtime.start(model, {}, context)
    done = []
    while outcome.snapshot.human_tasks:
        [task] = outcome.snapshot.human_tasks
        name = task.spec.form.split("/")[1].removesuffix(".json")
        data = dict(forms[name]["examples"][0]) | overrides.get(task.spec.bpmn_id, {})
        assert check(forms[name], data) == {}
        outcome = runtime.complete_human_task(outcome.workflow, model, task.task_id, data, context)
        assert outcome.failure is None, outcome.failure
        done.append((task.spec.bpmn_id, task.spec.properties["allottedHours"]))
    assert outcome.snapshot.completed
    return done


def test_a_procedure_without_look_ups_goes_straight_from_acceptance_to_appraisal():
    forms = forms_for(PAPER_ONLY)
    assert "verify_registry" not in forms
    done = _run(to_be_graph(PAPER_ONLY), forms)
    assert done == [
        ("intake", "1"),
        ("check_seal", "1"),  # the appraisal hours are split by share: 1 : 2
        ("appraise", "2"),
        ("approve", "1"),
        ("stamp", "1"),
        ("return_result", "1"),
    ]


def test_the_as_is_hands_the_dossier_over_and_the_result_back():
    done = _run(
        as_is_graph(PAPER_ONLY), forms_for(PAPER_ONLY), {"intake_paper": {"received_after_cutoff": True}}
    )
    assert [bpmn_id for bpmn_id, _ in done] == [
        "intake_paper",
        "transfer_next_morning",
        "check_seal",
        "appraise",
        "approve",
        "stamp",
        "transfer_result",
        "return_result",
    ]
    assert dict(done)["transfer_next_morning"] == "3"  # runs into the next morning


def test_the_intake_form_keeps_paper_and_drops_what_the_registry_would_fill():
    forms = forms_for(PAPER_ONLY)
    intake = forms["intake"]["properties"]
    assert "doc_DON" in intake and not any("x-registry" in p for p in intake.values())
    assert forms["intake"]["title"] == "Tiếp nhận hồ sơ — Đăng ký mẫu con dấu"
    assert "received_after_cutoff" in forms["intake_paper"]["properties"]
