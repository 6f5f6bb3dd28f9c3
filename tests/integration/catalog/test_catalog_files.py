"""The committed catalog: manifests load with every key the manifest format has, every user task has a form that
is a valid JSON Schema 2020-12 with Vietnamese and English titles, and the generated files are what
``make catalog`` produces."""

from __future__ import annotations

import json
import tomllib
from datetime import date

import pytest
from jsonschema import Draft202012Validator

from engine.bpmn.validation import validate
from engine.catalog import discover, load_catalog
from engine.forms import check
from motcua.catalog_builder import build
from motcua.catalog_procedures import PROCEDURES

from .conftest import FORMS, POPULATION_OPERATORS, PROCESSES

TOP_KEYS = {"code", "name_vi", "name_en", "level", "limit", "fees", "documents", "legal_basis"}


def test_every_manifest_loads_with_every_key():
    procedures = load_catalog(PROCESSES, frozenset(POPULATION_OPERATORS))
    assert len(procedures) == 8
    for procedure in procedures:
        raw = tomllib.loads((procedure.folder / "manifest.toml").read_text(encoding="utf-8"))
        assert raw.keys() >= TOP_KEYS, procedure.code
        assert {"amount", "unit"} <= raw["limit"].keys()
        assert procedure.variants == ("as-is", "to-be")
        assert procedure.fees and all(f.amount_vnd >= 0 for f in procedure.fees)
        assert procedure.documents and procedure.legal_basis
        assert any(d.registry_lookup for d in procedure.documents), "declare once: some paper is replaced"
        # a dossier received today follows at least one legal text in force
        assert procedure.legal_basis_on(date(2026, 1, 1))


def test_same_day_procedures_carry_the_15h_rule_and_the_others_do_not():
    by_code = {p.code: p for p in load_catalog(PROCESSES)}
    assert {c for c, p in by_code.items() if p.same_day_cutoff} == {
        "birth_registration",
        "death_registration",
        "marriage_registration",
    }
    assert by_code["permanent_residence"].limit.amount == 7
    assert by_code["permanent_residence"].supplement_policy == "pause"
    assert by_code["criminal_record"].level == "province"


def test_each_look_up_in_a_to_be_model_replaces_a_document_of_the_manifest():
    by_code = {p.code: p for p in load_catalog(PROCESSES)}
    for model in PROCEDURES:
        for lookup in model.lookups:
            if lookup.document:
                document = by_code[model.code].document(lookup.document)
                assert document is not None and document.registry_lookup, (model.code, lookup.document)


def _models():
    return [
        pytest.param(m.procedure, m.variant, m.files, id=f"{m.procedure}-{m.variant}")
        for m in discover(PROCESSES)
    ]


@pytest.mark.parametrize(("procedure", "variant", "files"), _models())
def test_every_user_task_has_a_form_with_titles_in_both_languages(procedure, variant, files):
    result = validate(list(files))  # without operator knowledge: structure, stages, lanes
    assert result.process is not None, [str(d) for d in result.errors]
    for task in result.process.human_tasks.values():
        assert task.form == f"{procedure}/{task.form.split('/')[-1]}", task.bpmn_id
        assert (
            task.stage is not None
            and task.allotted_hours
            and task.role
            in {
                "intake_officer",
                "appraiser",
                "approver",
                "clerk",
            }
        )
        schema = json.loads((FORMS / task.form).read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        for name, prop in schema["properties"].items():
            assert prop["title"] and prop["x-title-en"], f"{task.form}: {name}"
        assert check(schema, schema["examples"][0]) == {}, task.form


def test_registry_fields_point_into_the_look_up_results():
    schema = json.loads((FORMS / "birth_registration" / "intake.json").read_text(encoding="utf-8"))
    registry = {name: p["x-registry"] for name, p in schema["properties"].items() if "x-registry" in p}
    assert registry == {
        "applicant_full_name": "applicant_lookup.person.full_name",
        "applicant_date_of_birth": "applicant_lookup.person.date_of_birth",
        "applicant_id_number": "applicant_lookup.person.id_number",
    }
    paper = json.loads((FORMS / "birth_registration" / "intake_paper.json").read_text(encoding="utf-8"))
    assert not any("x-registry" in p for p in paper["properties"].values())
    assert "doc_GCNKH" in paper["properties"] and "doc_GCNKH" not in schema["properties"]


def test_the_committed_files_are_what_the_generator_writes(tmp_path):
    """`make catalog` regenerates processes/ and forms/; a hand edit or a stale file fails here."""
    written = build(PROCEDURES, tmp_path / "processes", tmp_path / "forms")
    for path in written:
        committed = PROCESSES.parent / path.relative_to(tmp_path)
        assert committed.read_bytes() == path.read_bytes(), f"{committed} is stale: run `make catalog`"
    generated_forms = {p.relative_to(tmp_path / "forms") for p in (tmp_path / "forms").rglob("*.json")}
    committed_forms = {p.relative_to(FORMS) for p in FORMS.rglob("*.json")}
    assert committed_forms == generated_forms


@pytest.mark.parametrize(
    "path", sorted(PROCESSES.glob("*/*.bpmn")), ids=lambda p: f"{p.parent.name}-{p.stem}"
)
def test_every_model_has_a_full_diagram_without_overlaps(path):
    """bpmn-js draws only what has DI: every node a shape inside its lane, every flow an edge."""
    from lxml import etree

    ns = {
        "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
        "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
        "dc": "http://www.omg.org/spec/DD/20100524/DC",
        "di": "http://www.omg.org/spec/DD/20100524/DI",
    }
    root = etree.parse(str(path)).getroot()
    process = root.find("bpmn:process", ns)
    flows = {f.get("id") for f in process.iterfind("bpmn:sequenceFlow", ns)}
    nodes = {
        el.get("id")
        for el in process
        if etree.QName(el).localname not in ("laneSet", "sequenceFlow", "documentation", "extensionElements")
    }
    bounds = {}
    for shape in root.iterfind(".//bpmndi:BPMNShape", ns):
        b = shape.find("dc:Bounds", ns)
        bounds[shape.get("bpmnElement")] = tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))
    edges = {
        e.get("bpmnElement"): e.findall("di:waypoint", ns) for e in root.iterfind(".//bpmndi:BPMNEdge", ns)
    }
    assert nodes <= bounds.keys() and set(edges) == flows
    assert all(len(points) >= 2 for points in edges.values())
    boxes = [bounds[n] for n in sorted(nodes)]
    for i, (x1, y1, w1, h1) in enumerate(boxes):
        for x2, y2, w2, h2 in boxes[i + 1 :]:
            assert x1 + w1 <= x2 or x2 + w2 <= x1 or y1 + h1 <= y2 or y2 + h2 <= y1, "shapes overlap"
    for lane in process.iterfind("bpmn:laneSet/bpmn:lane", ns):
        lx, ly, lw, lh = bounds[lane.get("id")]
        for ref in lane.iterfind("bpmn:flowNodeRef", ns):
            x, y, w, h = bounds[ref.text]
            assert lx <= x and x + w <= lx + lw and ly <= y and y + h <= ly + lh, (
                f"{ref.text} outside its lane"
            )


@pytest.mark.parametrize(("procedure", "variant", "files"), _models())
def test_lifecycle_markers_are_on_the_parsed_nodes(procedure, variant, files):
    """The lifecycle reads ``dossierEvent`` from the parsed model: each marker once, on the
    node that completes when that outcome happens."""
    from engine.bpmn.model import task_properties

    result = validate(list(files))
    found = {}
    for spec in result.process.all_specs():
        for task_spec in spec.task_specs.values():
            event = task_properties(task_spec).get("dossierEvent")
            if event:
                found[task_spec.bpmn_id] = event
    assert found == {
        "ev_accepted": "accepted",
        "end_refused": "refused",
        "ev_supplement": "supplement_requested",
        "receive_supplement": "supplement_received",
        "ev_rejected": "rejected",
        "stamp": "result_ready",
        "return_result": "returned",
    }
