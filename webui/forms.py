"""Task forms rendered from their JSON Schema (forms/<procedure>/<task>.json).

A schema's properties become fields: ``title`` (Vietnamese) or ``x-title-en`` for the label, the type
for the input (text, number, checkbox, date, select for ``enum``), ``required`` for the mark, and
``x-registry`` (a dotted path into the task data) for a value pre-filled from the national population
registry. Posted values are turned back into JSON types here; whether they are acceptable is for
``ctx.forms`` (the FormValidator) to say when the task is completed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from engine.errors import InvalidInput


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str  # text | textarea | number | integer | checkbox | date | select
    required: bool
    value: Any
    choices: tuple[tuple[str, str], ...] = ()
    description: str | None = None
    from_registry: bool = False
    readonly: bool = False


@dataclass(frozen=True)
class TaskForm:
    title: str | None
    description: str | None
    fields: tuple[Field, ...]
    schema: dict[str, Any]


def load_schema(forms_dir: Path, form: str | None) -> dict[str, Any] | None:
    """The schema a task's ``form`` property names, or None (no form, or a path outside forms/)."""
    if not form:
        return None
    root = forms_dir.resolve()
    path = (root / form).resolve()
    if root not in path.parents or not path.is_file():
        return None
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return schema if isinstance(schema, dict) else None


def lookup(data: dict[str, Any], dotted: str) -> Any:
    value: Any = data
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _kind(prop: dict[str, Any]) -> str:
    if "enum" in prop or "oneOf" in prop:
        return "select"
    kind = prop.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "boolean":
        return "checkbox"
    if kind in ("integer", "number"):
        return kind
    if prop.get("format") == "date":
        return "date"
    if prop.get("maxLength", 0) > 200 or prop.get("x-widget") == "textarea":
        return "textarea"
    return "text"


def _choices(prop: dict[str, Any], lang: str) -> tuple[tuple[str, str], ...]:
    if "oneOf" in prop:
        choices = []
        for option in prop["oneOf"]:
            if not isinstance(option, dict) or "const" not in option:
                continue
            label = option.get("title", option["const"])
            if lang == "en" and option.get("x-title-en"):
                label = option["x-title-en"]
            choices.append((str(option["const"]), str(label)))
        return tuple(choices)
    return tuple((str(v), str(v)) for v in prop.get("enum", []))


def build_form(
    schema: dict[str, Any], data: dict[str, Any], lang: str = "vi", posted: dict | None = None
) -> TaskForm:
    """Fields for ``schema``, filled from the task data (registry values first) or a posted attempt."""
    required = set(schema.get("required") or ())
    fields = []
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        label = prop.get("x-title-en") if lang == "en" and prop.get("x-title-en") else prop.get("title")
        registry_path = prop.get("x-registry")
        registry_value = lookup(data, registry_path) if registry_path else None
        if posted is not None and name in posted:
            value = posted[name]
        elif registry_value is not None:
            value = registry_value
        else:
            value = data.get(name, prop.get("default"))
        fields.append(
            Field(
                name=name,
                label=label or name,
                kind=_kind(prop),
                required=name in required,
                value=value,
                choices=_choices(prop, lang),
                description=prop.get("x-description-en") if lang == "en" else prop.get("description"),
                from_registry=registry_value is not None,
                readonly=bool(prop.get("readOnly")),
            )
        )
    title = schema.get("x-title-en") if lang == "en" and schema.get("x-title-en") else schema.get("title")
    return TaskForm(title, schema.get("description"), tuple(fields), schema)


def parse_submission(schema: dict[str, Any] | None, form: MultiDict) -> dict[str, Any]:
    """Posted form values as JSON data typed by the schema; InvalidInput names fields that cannot be read.

    Without a schema only a free-text note is taken."""
    if schema is None:
        note = form.get("note", "").strip()
        return {"note": note} if note else {}
    required = set(schema.get("required") or ())
    data: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict) or prop.get("readOnly"):
            continue
        kind = _kind(prop)
        if kind == "checkbox":
            data[name] = form.get(name) in ("on", "true", "1", "yes")
            continue
        raw = form.get(name, "").strip()
        if raw == "":
            if name in required:
                problems[name] = _("Trường này là bắt buộc.")
            continue
        if kind == "integer":
            try:
                data[name] = int(raw)
            except ValueError:
                problems[name] = _("Cần nhập một số nguyên.")
        elif kind == "number":
            try:
                data[name] = float(raw.replace(",", "."))
            except ValueError:
                problems[name] = _("Cần nhập một số.")
        else:
            if kind == "select":
                allowed = {value for value, _ in _choices(prop, "vi")}
                if allowed and raw not in allowed:
                    problems[name] = _("Giá trị không nằm trong danh sách cho phép.")
                    continue
                enum = prop.get("enum") or [
                    o.get("const") for o in prop.get("oneOf", []) if isinstance(o, dict)
                ]
                raw = next((v for v in enum if str(v) == raw), raw)
            max_length = prop.get("maxLength")
            if isinstance(max_length, int) and isinstance(raw, str) and len(raw) > max_length:
                problems[name] = _("Tối đa %(n)s ký tự.", n=max_length)
                continue
            data[name] = raw
    if problems:
        raise InvalidInput(_("Một số trường cần được sửa."), fields=problems)
    return data
