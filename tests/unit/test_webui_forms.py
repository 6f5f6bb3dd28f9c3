"""Task forms from JSON Schema: fields, registry pre-filling, and typing posted values."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from engine.errors import InvalidInput
from webui.forms import build_form, parse_submission

SCHEMA = {
    "title": "Đăng ký khai sinh",
    "x-title-en": "Birth registration",
    "required": ["child_name", "children"],
    "properties": {
        "child_name": {"type": "string", "title": "Họ tên trẻ", "x-title-en": "Child's name"},
        "mother_name": {
            "type": "string",
            "title": "Họ tên mẹ",
            "x-title-en": "Mother's name",
            "x-registry": "parents_lookup.mother.full_name",
        },
        "children": {"type": "integer", "title": "Số con"},
        "weight": {"type": "number", "title": "Cân nặng"},
        "twins": {"type": "boolean", "title": "Sinh đôi"},
        "born_on": {"type": "string", "format": "date", "title": "Ngày sinh"},
        "sex": {
            "title": "Giới tính",
            "oneOf": [{"const": "F", "title": "Nữ", "x-title-en": "Female"}, {"const": "M", "title": "Nam"}],
        },
        "level": {"type": "integer", "enum": [1, 2], "title": "Mức"},
        "code": {"type": "string", "title": "Mã", "readOnly": True},
        "note": {"type": "string", "title": "Ghi chú", "maxLength": 10},
    },
}


def test_fields_follow_the_schema_in_order_with_their_inputs():
    form = build_form(SCHEMA, {})
    assert form.title == "Đăng ký khai sinh"
    assert [(f.name, f.kind, f.required) for f in form.fields] == [
        ("child_name", "text", True),
        ("mother_name", "text", False),
        ("children", "integer", True),
        ("weight", "number", False),
        ("twins", "checkbox", False),
        ("born_on", "date", False),
        ("sex", "select", False),
        ("level", "select", False),
        ("code", "text", False),
        ("note", "text", False),
    ]
    assert dict(form.fields[6].choices) == {"F": "Nữ", "M": "Nam"}


def test_registry_values_fill_and_mark_their_fields():
    data = {"parents_lookup": {"mother": {"full_name": "Trần Thị Mai"}}, "child_name": "Bé An"}
    fields = {f.name: f for f in build_form(SCHEMA, data).fields}
    assert fields["mother_name"].value == "Trần Thị Mai" and fields["mother_name"].from_registry
    assert fields["child_name"].value == "Bé An" and not fields["child_name"].from_registry
    # No registry value: the field is an ordinary one.
    assert not {f.name: f for f in build_form(SCHEMA, {}).fields}["mother_name"].from_registry


def test_english_labels_when_asked():
    form = build_form(SCHEMA, {}, lang="en")
    labels = {f.name: f.label for f in form.fields}
    assert form.title == "Birth registration"
    assert labels["mother_name"] == "Mother's name" and labels["children"] == "Số con"  # no English given
    assert dict({f.name: f for f in form.fields}["sex"].choices) == {"F": "Female", "M": "Nam"}


def test_a_posted_attempt_is_shown_again_instead_of_the_data():
    fields = {
        f.name: f for f in build_form(SCHEMA, {"child_name": "cũ"}, posted={"child_name": "mới"}).fields
    }
    assert fields["child_name"].value == "mới"


def test_posted_values_are_typed_by_the_schema():
    posted = MultiDict(
        {
            "child_name": " Bé An ",
            "children": "2",
            "weight": "3,2",
            "twins": "on",
            "sex": "F",
            "level": "2",
            "code": "forged",
            "born_on": "",
        }
    )
    assert parse_submission(SCHEMA, posted) == {
        "child_name": "Bé An",
        "children": 2,
        "weight": 3.2,
        "twins": True,
        "sex": "F",
        "level": 2,
    }
    assert parse_submission(SCHEMA, MultiDict({"child_name": "A", "children": "1"}))["twins"] is False


def test_unreadable_and_missing_values_are_named_per_field():
    with pytest.raises(InvalidInput) as caught:
        parse_submission(
            SCHEMA, MultiDict({"children": "hai", "weight": "x", "sex": "X", "note": "quá mười ký tự"})
        )
    assert caught.value.details["fields"] == {
        "child_name": "Trường này là bắt buộc.",
        "children": "Cần nhập một số nguyên.",
        "weight": "Cần nhập một số.",
        "sex": "Giá trị không nằm trong danh sách cho phép.",
        "note": "Tối đa 10 ký tự.",
    }


def test_without_a_schema_only_a_note_is_taken():
    assert parse_submission(None, MultiDict({"note": " xong ", "anything": "x"})) == {"note": "xong"}
    assert parse_submission(None, MultiDict()) == {}
