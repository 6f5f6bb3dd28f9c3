"""The procedure catalog shipped in processes/: one folder per procedure."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .bpmn.validation import SourceFile
from .calendar import TimeLimit
from .errors import MotcuaError, NotFound


@dataclass(frozen=True)
class CatalogModel:
    """One deployable model of a procedure (a BPMN file with the DMN files beside it)."""

    procedure: str
    variant: str
    files: tuple[SourceFile, ...]


def discover(processes_dir: Path) -> list[CatalogModel]:
    """Every BPMN model in the catalog, in a stable order."""
    found: list[CatalogModel] = []
    if not processes_dir.is_dir():
        return found
    for folder in sorted(
        p for p in processes_dir.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))
    ):
        dmn = tuple(SourceFile(p.name, p.read_bytes()) for p in sorted(folder.glob("*.dmn")))
        for bpmn in sorted(folder.glob("*.bpmn")):
            found.append(
                CatalogModel(folder.name, bpmn.stem, (SourceFile(bpmn.name, bpmn.read_bytes()), *dmn))
            )
    return found


# =========================================================================== manifests

MANIFEST = "manifest.toml"
LEVELS = ("commune", "province", "national")
SUPPLEMENT_POLICIES = ("restart", "pause")
UNITS = ("working_days", "calendar_days", "hours")
VARIANTS = ("as-is", "to-be")


class CatalogError(MotcuaError):
    """A manifest that cannot be used; ``problems`` lists each one with its file and key."""

    code = "catalog_invalid"

    def __init__(self, message: str, problems: list[str]) -> None:
        super().__init__(message, problems=problems)
        self.problems = problems


@dataclass(frozen=True)
class Fee:
    """A fee or charge (lệ phí, phí) with who is exempt."""

    name_vi: str
    amount_vnd: int
    exemptions: tuple[str, ...] = ()


@dataclass(frozen=True)
class RequiredDocument:
    """A document of the dossier (thành phần hồ sơ); ``registry_lookup`` names the population-registry
    operator that can replace the paper copy."""

    code: str
    name_vi: str
    name_en: str
    registry_lookup: str | None = None


@dataclass(frozen=True)
class LegalBasis:
    """A legal text (căn cứ pháp lý) with the dates it is in force."""

    title: str
    effective_from: date
    effective_to: date | None = None

    def in_force_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


@dataclass(frozen=True)
class Procedure:
    """An administrative procedure (thủ tục hành chính) of the catalog, read from its manifest."""

    code: str
    name_vi: str
    name_en: str
    level: str
    limit: TimeLimit
    online_limit: TimeLimit | None
    same_day_cutoff: bool
    supplement_policy: str
    fees: tuple[Fee, ...]
    documents: tuple[RequiredDocument, ...]
    legal_basis: tuple[LegalBasis, ...]
    notes: tuple[str, ...]
    folder: Path
    variants: tuple[str, ...]

    def process_id(self, variant: str) -> str:
        """The BPMN process id of a variant: ``<code>_as_is`` or ``<code>_to_be``."""
        return f"{self.code}_{variant.replace('-', '_')}"

    def document(self, code: str) -> RequiredDocument | None:
        return next((d for d in self.documents if d.code == code), None)

    def legal_basis_on(self, day: date) -> tuple[LegalBasis, ...]:
        return tuple(b for b in self.legal_basis if b.in_force_on(day))


class _Reader:
    """Reads typed values out of a parsed manifest, collecting every problem with its key."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.problems: list[str] = []

    def problem(self, key: str, message: str) -> None:
        self.problems.append(f"{self.where}: {key}: {message}")

    def get(
        self, table: dict, key: str, kind: type | tuple[type, ...], prefix: str = "", required: bool = True
    ):
        name = f"{prefix}{key}"
        if key not in table:
            if required:
                self.problem(name, "missing")
            return None
        value = table[key]
        if isinstance(value, bool) and kind in (int, float, (int, float)):
            self.problem(name, f"must be a number, not {value!r}")
            return None
        if not isinstance(value, kind):
            expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.problem(name, f"must be {_KIND_NAMES.get(expected, expected)}, not {value!r}")
            return None
        if isinstance(value, str) and required and not value.strip():
            self.problem(name, "must not be empty")
            return None
        return value

    def limit(self, table: dict | None, key: str) -> TimeLimit | None:
        if table is None:
            return None
        amount = self.get(table, "amount", (int, float), f"{key}.")
        unit = self.get(table, "unit", str, f"{key}.")
        if unit is not None and unit not in UNITS:
            self.problem(f"{key}.unit", f"'{unit}' is not one of {', '.join(UNITS)}")
            return None
        if amount is None or unit is None:
            return None
        if amount <= 0:
            self.problem(f"{key}.amount", "must be greater than zero")
            return None
        return TimeLimit(float(amount), unit)


_KIND_NAMES = {
    "str": "text",
    "int": "a whole number",
    "bool": "true or false",
    "list": "a list",
    "dict": "a table",
    "date": "a date (YYYY-MM-DD)",
    "int or float": "a number",
}


def parse_manifest(
    data: dict[str, Any], folder: Path, known_operators: frozenset[str] | None = None
) -> Procedure:
    """A :class:`Procedure` from a parsed manifest; raises :class:`CatalogError` naming every problem."""
    r = _Reader(str(folder / MANIFEST))
    code = r.get(data, "code", str)
    if code is not None and code != folder.name:
        r.problem("code", f"'{code}' differs from the folder name '{folder.name}'")
    name_vi = r.get(data, "name_vi", str)
    name_en = r.get(data, "name_en", str)
    level = r.get(data, "level", str)
    if level is not None and level not in LEVELS:
        r.problem("level", f"'{level}' is not one of {', '.join(LEVELS)}")
    limit_table = r.get(data, "limit", dict)
    limit = r.limit(limit_table, "limit")
    online = None
    if limit_table is not None and "online_amount" in limit_table:
        amount = r.get(limit_table, "online_amount", (int, float), "limit.")
        if amount is not None and limit is not None:
            if amount <= 0:
                r.problem("limit.online_amount", "must be greater than zero")
            else:
                online = TimeLimit(float(amount), limit.unit)
    cutoff = r.get(data, "same_day_cutoff", bool, required=False)
    policy = r.get(data, "supplement_policy", str, required=False) or "restart"
    if policy not in SUPPLEMENT_POLICIES:
        r.problem("supplement_policy", f"'{policy}' is not one of {', '.join(SUPPLEMENT_POLICIES)}")

    fees = []
    for i, row in enumerate(r.get(data, "fees", list, required=False) or []):
        p = f"fees[{i}]."
        if not isinstance(row, dict):
            r.problem(f"fees[{i}]", "must be a table")
            continue
        name = r.get(row, "name_vi", str, p)
        amount = r.get(row, "amount_vnd", int, p)
        if amount is not None and amount < 0:
            r.problem(f"{p}amount_vnd", "must not be negative")
        exemptions = r.get(row, "exemptions", list, p, required=False) or []
        if not all(isinstance(e, str) for e in exemptions):
            r.problem(f"{p}exemptions", "must be a list of texts")
        if name is not None and amount is not None:
            fees.append(Fee(name, amount, tuple(str(e) for e in exemptions)))

    documents = []
    seen: set[str] = set()
    for i, row in enumerate(r.get(data, "documents", list) or []):
        p = f"documents[{i}]."
        if not isinstance(row, dict):
            r.problem(f"documents[{i}]", "must be a table")
            continue
        doc_code = r.get(row, "code", str, p)
        if doc_code in seen:
            r.problem(f"{p}code", f"'{doc_code}' appears twice")
        seen.add(doc_code)
        lookup = r.get(row, "registry_lookup", str, p, required=False)
        if lookup is not None and known_operators is not None and lookup not in known_operators:
            r.problem(f"{p}registry_lookup", f"'{lookup}' is not a registered operator")
        name_vi_doc, name_en_doc = r.get(row, "name_vi", str, p), r.get(row, "name_en", str, p)
        if doc_code and name_vi_doc and name_en_doc:
            documents.append(RequiredDocument(doc_code, name_vi_doc, name_en_doc, lookup))

    basis = []
    for i, row in enumerate(r.get(data, "legal_basis", list) or []):
        p = f"legal_basis[{i}]."
        if not isinstance(row, dict):
            r.problem(f"legal_basis[{i}]", "must be a table")
            continue
        title = r.get(row, "title", str, p)
        start = r.get(row, "effective_from", date, p)
        end = r.get(row, "effective_to", date, p, required=False)
        if isinstance(start, datetime) or isinstance(end, datetime):
            r.problem(p.rstrip("."), "effective dates are dates, without a time")
        elif start is not None and end is not None and end < start:
            r.problem(f"{p}effective_to", f"{end} is before effective_from {start}")
        elif title and start:
            basis.append(LegalBasis(title, start, end))

    notes = r.get(data, "notes", (list, str), required=False) or []
    notes = [notes] if isinstance(notes, str) else notes
    variants = tuple(v for v in VARIANTS if (folder / f"{v}.bpmn").is_file())
    if r.problems:
        count = len(r.problems)
        raise CatalogError(
            f"Tệp mô tả thủ tục {folder.name} có {count} lỗi "
            f"(the manifest of {folder.name} has {count} problem{'s' if count != 1 else ''}).",
            r.problems,
        )
    return Procedure(
        code=code,
        name_vi=name_vi,
        name_en=name_en,
        level=level,
        limit=limit,
        online_limit=online,
        same_day_cutoff=bool(cutoff),
        supplement_policy=policy,
        fees=tuple(fees),
        documents=tuple(documents),
        legal_basis=tuple(basis),
        notes=tuple(str(n) for n in notes),
        folder=folder,
        variants=variants,
    )


def load_procedure(folder: Path, known_operators: frozenset[str] | None = None) -> Procedure:
    path = folder / MANIFEST
    if not path.is_file():
        raise NotFound(f"Không có thủ tục '{folder.name}' (there is no {path}).")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path} is not valid TOML.", [f"{path}: {exc}"]) from None
    return parse_manifest(data, folder, known_operators)


def load_catalog(processes_dir: Path, known_operators: frozenset[str] | None = None) -> list[Procedure]:
    """Every procedure with a manifest, by code; one :class:`CatalogError` lists all problems."""
    procedures: list[Procedure] = []
    problems: list[str] = []
    if not processes_dir.is_dir():
        return procedures
    for folder in sorted(
        p for p in processes_dir.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))
    ):
        if not (folder / MANIFEST).is_file():
            continue
        try:
            procedures.append(load_procedure(folder, known_operators))
        except CatalogError as exc:
            problems.extend(exc.problems)
    if problems:
        raise CatalogError(f"The catalog in {processes_dir} has {len(problems)} problem(s).", problems)
    return procedures


def get_procedure(processes_dir: Path, code: str) -> Procedure:
    if not code or not code.replace("_", "").isalnum():
        raise NotFound(f"Không có thủ tục '{code}' (no such procedure).")
    return load_procedure(processes_dir / code)
