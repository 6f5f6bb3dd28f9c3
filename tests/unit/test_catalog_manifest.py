"""Manifest parsing: typed values, and every problem named with its key."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from engine.calendar import TimeLimit
from engine.catalog import CatalogError, parse_manifest

FOLDER = Path("processes/sample_procedure")


def manifest(**changes) -> dict:
    data = {
        "code": "sample_procedure",
        "name_vi": "Thủ tục mẫu",
        "name_en": "Sample procedure",
        "level": "commune",
        "same_day_cutoff": True,
        "supplement_policy": "pause",
        "limit": {"amount": 3, "unit": "working_days", "online_amount": 2},
        "fees": [{"name_vi": "Lệ phí", "amount_vnd": 20000, "exemptions": ["Hộ nghèo"]}],
        "documents": [
            {"code": "TK", "name_vi": "Tờ khai", "name_en": "Declaration"},
            {
                "code": "CCCD",
                "name_vi": "Căn cước",
                "name_en": "ID card",
                "registry_lookup": "population.lookup",
            },
        ],
        "legal_basis": [
            {
                "title": "Nghị định 61/2018/NĐ-CP",
                "effective_from": date(2018, 6, 21),
                "effective_to": date(2025, 6, 30),
            },
            {"title": "Nghị định 118/2025/NĐ-CP", "effective_from": date(2025, 7, 1)},
        ],
        "notes": ["Thời hạn (check)"],
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_manifest_becomes_a_typed_procedure():
    p = parse_manifest(manifest(), FOLDER, frozenset({"population.lookup"}))
    assert p.limit == TimeLimit(3, "working_days") and p.online_limit == TimeLimit(2, "working_days")
    assert p.same_day_cutoff and p.supplement_policy == "pause"
    assert p.fees[0].amount_vnd == 20000 and p.fees[0].exemptions == ("Hộ nghèo",)
    assert p.document("CCCD").registry_lookup == "population.lookup"
    assert p.document("TK").registry_lookup is None
    assert p.process_id("to-be") == "sample_procedure_to_be"
    assert [b.title for b in p.legal_basis_on(date(2025, 6, 30))] == ["Nghị định 61/2018/NĐ-CP"]
    assert [b.title for b in p.legal_basis_on(date(2025, 7, 1))] == ["Nghị định 118/2025/NĐ-CP"]
    assert p.notes == ("Thời hạn (check)",)


def test_every_problem_is_named_with_its_key():
    bad = manifest(
        code="other",
        name_en=None,
        level="district",
        limit={"amount": 0, "unit": "weeks"},
        supplement_policy="forget",
        fees=[{"name_vi": "Lệ phí", "amount_vnd": "20.000"}],
        documents=[
            {
                "code": "TK",
                "name_vi": "Tờ khai",
                "name_en": "Declaration",
                "registry_lookup": "population.guess",
            },
            {"code": "TK", "name_vi": "Tờ khai", "name_en": "Declaration"},
        ],
        legal_basis=[{"title": "Luật", "effective_from": date(2020, 1, 1), "effective_to": date(2019, 1, 1)}],
    )
    with pytest.raises(CatalogError) as caught:
        parse_manifest(bad, FOLDER, frozenset({"population.lookup"}))
    problems = [p.split(": ", 1)[1] for p in caught.value.problems]
    assert problems == [
        "code: 'other' differs from the folder name 'sample_procedure'",
        "name_en: missing",
        "level: 'district' is not one of commune, province, national",
        "limit.unit: 'weeks' is not one of working_days, calendar_days, hours",
        "supplement_policy: 'forget' is not one of restart, pause",
        "fees[0].amount_vnd: must be a whole number, not '20.000'",
        "documents[0].registry_lookup: 'population.guess' is not a registered operator",
        "documents[1].code: 'TK' appears twice",
        "legal_basis[0].effective_to: 2019-01-01 is before effective_from 2020-01-01",
    ]
    assert "sample_procedure" in caught.value.message


def test_required_tables_and_a_positive_limit():
    with pytest.raises(CatalogError) as caught:
        parse_manifest(
            manifest(documents=None, legal_basis=None, limit={"amount": -1, "unit": "hours"}), FOLDER
        )
    problems = [p.split(": ", 1)[1] for p in caught.value.problems]
    assert problems == [
        "limit.amount: must be greater than zero",
        "documents: missing",
        "legal_basis: missing",
    ]
