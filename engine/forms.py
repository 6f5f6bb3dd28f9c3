"""Task forms (biểu mẫu): JSON Schema 2020-12 files in forms/, checked on the server.

A user task names its form in the ``form`` property, a path relative to forms/
(``birth_registration/intake.json``). Each property of a form has a Vietnamese ``title``, an English
``x-title-en`` and, when the population registry can supply it, ``x-registry``: a dotted path into the
task data (``applicant_lookup.person.full_name``). A registry value that exists pre-fills the field,
so the officer need not type it again; the server counts it as given.

:class:`JsonSchemaForms` is the :class:`engine.context.FormValidator` motcua installs: it returns one
Vietnamese message per field ("Họ và tên người yêu cầu: bắt buộc"), or nothing when the data is good.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, ValidationError

from .errors import NotFound

if TYPE_CHECKING:
    from .context import Context
    from .store.models import HumanTask

_TYPE_NAMES = {
    "string": "văn bản",
    "integer": "số nguyên",
    "number": "số",
    "boolean": "đúng hoặc sai",
    "object": "một nhóm thông tin",
    "array": "một danh sách",
}
_MISSING = object()


class FormNotFound(NotFound):
    pass


def registry_value(data: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path in task data, or ``None`` when any step is missing."""
    current: Any = data
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return None
        current = current[part]
    return current


def prefill(schema: Mapping[str, Any], task_data: Mapping[str, Any]) -> dict[str, Any]:
    """Field values the population registry supplies (``x-registry``), from the task data."""
    values: dict[str, Any] = {}
    for name, prop in (schema.get("properties") or {}).items():
        path = prop.get("x-registry") if isinstance(prop, Mapping) else None
        if path:
            value = registry_value(task_data, path)
            if value is not None:
                values[name] = value
    return values


def _title(schema: Mapping[str, Any], field: str) -> str:
    prop = (schema.get("properties") or {}).get(field) or {}
    return prop.get("title") or field


def _problem(error: ValidationError, prop: Mapping[str, Any]) -> str:
    kind, value = error.validator, error.validator_value
    if kind == "type":
        names = [value] if isinstance(value, str) else list(value)
        return "phải là " + " hoặc ".join(_TYPE_NAMES.get(n, n) for n in names)
    if kind == "enum":
        titles = prop.get("x-enum-titles") or value
        return "phải là một trong: " + ", ".join(str(t) for t in titles)
    if kind == "const":
        return "giá trị không hợp lệ"
    if kind == "format":
        if value == "date":
            return "phải là ngày hợp lệ (YYYY-MM-DD)"
        return f"không đúng định dạng {value}"
    if kind == "pattern":
        return prop.get("x-pattern-message") or "không đúng định dạng"
    if kind == "minLength":
        return "bắt buộc" if value == 1 else f"phải có ít nhất {value} ký tự"
    if kind == "maxLength":
        return f"tối đa {value} ký tự"
    if kind in ("minimum", "exclusiveMinimum"):
        return f"phải {'lớn hơn hoặc bằng' if kind == 'minimum' else 'lớn hơn'} {_number(value)}"
    if kind in ("maximum", "exclusiveMaximum"):
        return f"phải {'nhỏ hơn hoặc bằng' if kind == 'maximum' else 'nhỏ hơn'} {_number(value)}"
    return "giá trị không hợp lệ"


def _number(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _validator(schema: Mapping[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def check(
    schema: Mapping[str, Any], data: Mapping[str, Any], validator: Draft202012Validator | None = None
) -> dict[str, str]:
    """Field -> "<Vietnamese title>: <problem>" for every field with a problem (the first problem of
    each field, a missing value first); an empty dict when the data is valid."""
    validator = validator or _validator(schema)
    found: dict[str, tuple[int, str]] = {}
    properties = schema.get("properties") or {}

    def note(field: str, rank: int, problem: str) -> None:
        if field not in found or rank < found[field][0]:
            found[field] = (rank, f"{_title(schema, field)}: {problem}")

    for error in validator.iter_errors(dict(data)):
        if error.validator == "required":
            instance = error.instance if isinstance(error.instance, Mapping) else {}
            for field in error.validator_value:
                if field not in instance:
                    note(field, 0, "bắt buộc")
            continue
        path = list(error.absolute_path)
        field = str(path[0]) if path else "_form"
        prop = properties.get(field) or {}
        note(field, 1, _problem(error, prop))
    return {field: message for field, (_, message) in sorted(found.items())}


class JsonSchemaForms:
    """Loads forms from a folder (once each) and validates task data against them."""

    def __init__(self, forms_dir: Path) -> None:
        self.forms_dir = Path(forms_dir)
        self._cache: dict[str, dict[str, Any] | None] = {}
        self._validators: dict[str, Draft202012Validator] = {}
        self._lock = threading.Lock()

    def _path(self, form: str) -> Path | None:
        root = self.forms_dir.resolve()
        path = (root / form).resolve()
        if root not in path.parents or path.suffix != ".json":
            return None
        return path

    def schema(self, form: str) -> dict[str, Any] | None:
        """The parsed form, or ``None`` when no such file exists under forms/."""
        with self._lock:
            if form in self._cache:
                return self._cache[form]
        path = self._path(form)
        schema = None
        if path is not None and path.is_file():
            schema = json.loads(path.read_text(encoding="utf-8"))
            try:
                Draft202012Validator.check_schema(schema)
            except SchemaError as exc:
                raise ValueError(f"the form {form} is not a valid JSON Schema: {exc.message}") from None
        with self._lock:
            self._cache[form] = schema
            if schema is not None:
                self._validators[form] = _validator(schema)
        return schema

    def require(self, form: str) -> dict[str, Any]:
        schema = self.schema(form)
        if schema is None:
            raise FormNotFound(f"Không có biểu mẫu '{form}' (there is no form {form}).")
        return schema

    def validate(self, task: HumanTask, data: dict[str, Any]) -> dict[str, str]:
        """Problems with the data an officer submits for ``task``; registry values count as given.

        A task without a form, or whose form file does not exist, accepts any data (models uploaded
        without forms keep working)."""
        if not task.form:
            return {}
        schema = self.schema(task.form)
        if schema is None:
            return {}
        values = {**prefill(schema, task.data or {}), **data}
        return check(schema, values, self._validators.get(task.form))


def install_forms(ctx: Context) -> None:
    """Validate task data against the forms in ``settings.forms_dir`` (the bootstrap calls this)."""
    ctx.forms = JsonSchemaForms(ctx.settings.forms_dir)
