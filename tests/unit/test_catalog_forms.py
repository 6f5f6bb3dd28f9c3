"""Form checking: one Vietnamese message per field, registry values pre-filled from task data."""

from __future__ import annotations

from engine.forms import check, prefill, registry_value

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "full_name": {
            "type": "string",
            "title": "Họ và tên",
            "x-title-en": "Full name",
            "minLength": 1,
            "x-registry": "applicant_lookup.person.full_name",
        },
        "id_number": {
            "type": "string",
            "title": "Số định danh cá nhân",
            "x-title-en": "Personal ID number",
            "pattern": "^[0-9]{12}$",
            "x-pattern-message": "phải gồm đúng 12 chữ số",
        },
        "copies": {"type": "integer", "title": "Số bản", "x-title-en": "Copies", "minimum": 1, "maximum": 10},
        "decision": {
            "type": "string",
            "title": "Kết quả",
            "x-title-en": "Outcome",
            "enum": ["accept", "refuse"],
            "x-enum-titles": ["Tiếp nhận", "Từ chối"],
        },
        "reason": {"type": "string", "title": "Lý do", "x-title-en": "Reason", "minLength": 1},
        "received_on": {
            "type": "string",
            "title": "Ngày nhận",
            "x-title-en": "Received on",
            "format": "date",
        },
    },
    "required": ["full_name", "id_number", "decision"],
    "allOf": [
        {
            "if": {"properties": {"decision": {"const": "refuse"}}, "required": ["decision"]},
            "then": {"required": ["reason"]},
        }
    ],
}
GOOD = {"full_name": "Nguyễn Văn An", "id_number": "001090012345", "decision": "accept", "copies": 2}


def test_good_data_has_no_problems():
    assert check(SCHEMA, GOOD) == {}


def test_each_field_gets_one_message_naming_it_in_vietnamese():
    problems = check(
        SCHEMA,
        {"id_number": "12ab", "copies": 0, "decision": "later", "received_on": "2026-02-30", "full_name": ""},
    )
    assert problems == {
        "full_name": "Họ và tên: bắt buộc",
        "id_number": "Số định danh cá nhân: phải gồm đúng 12 chữ số",
        "copies": "Số bản: phải lớn hơn hoặc bằng 1",
        "decision": "Kết quả: phải là một trong: Tiếp nhận, Từ chối",
        "received_on": "Ngày nhận: phải là ngày hợp lệ (YYYY-MM-DD)",
    }


def test_missing_and_wrongly_typed_fields():
    assert check(SCHEMA, {"copies": True, "decision": "refuse"}) == {
        "full_name": "Họ và tên: bắt buộc",
        "id_number": "Số định danh cá nhân: bắt buộc",
        "copies": "Số bản: phải là số nguyên",
        "reason": "Lý do: bắt buộc",
    }


def test_registry_values_prefill_their_fields():
    data = {"applicant_lookup": {"status": "match", "person": {"full_name": "Trần Thị Bình"}}}
    assert registry_value(data, "applicant_lookup.person.full_name") == "Trần Thị Bình"
    assert registry_value(data, "applicant_lookup.person.missing") is None
    assert registry_value({"applicant_lookup": {"person": None}}, "applicant_lookup.person.full_name") is None
    assert prefill(SCHEMA, data) == {"full_name": "Trần Thị Bình"}
    assert check(SCHEMA, prefill(SCHEMA, data) | {"id_number": "001090012345", "decision": "accept"}) == {}
