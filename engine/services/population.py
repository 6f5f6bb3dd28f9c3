"""Use cases of the population registry: seeding, agency keys, the HTTP API's answer, the audit,
evidence per dossier and the paper (and trips) the look-ups saved."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select

from ..bpmn.operators import OperatorError, RunContext
from ..context import Context
from ..errors import InvalidInput, NotFound, PermissionDenied
from ..population import (
    OPERATIONS,
    RegistryQuery,
    RegistryRefused,
    answer,
    audit_row,
    check_purpose,
    log_lookup,
    mask_id,
    population_lookups,
    procedure_code_of,
)
from ..population_seed import SeedReport, seed_registry
from ..store.models import Agency, Dossier, ProcessDefinition, ProcessVersion
from ..store.registry_tables import RegistryApiKey, RegistryEvidence, RegistryLookup
from ..views import UserView, View
from . import unit_of_work

KEY_PREFIX = "mcr_"


@dataclass(frozen=True)
class ApiKeyView(View):
    id: int
    agency_code: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class LookupView(View):
    id: int
    at: datetime
    request_id: str
    officer: str | None
    agency_code: str | None
    dossier_id: int | None
    procedure_code: str | None
    purpose: str
    document: str | None
    subject: str  # masked ID number
    channel: str
    outcome: str
    reason: str | None


@dataclass(frozen=True)
class EvidenceView(View):
    dossier_id: int
    document_code: str
    procedure_code: str | None
    request_id: str
    retrieved_at: datetime
    officer: str | None
    purpose: str
    trips_saved: int
    source: str = "retrieved from the population registry"


@dataclass(frozen=True)
class SavingsView(View):
    """Paper the registry replaced: per procedure (``dossier_id`` None) or per dossier."""

    procedure_code: str | None
    dossier_id: int | None
    dossiers: int
    documents_replaced: int
    trips_saved: int


# --------------------------------------------------------------------------- seeding and keys


def seed_population(ctx: Context, citizens: int, seed: int = 1) -> SeedReport:
    """Replace the registry's people and households with a synthetic, consistent population."""
    if citizens < 1 or citizens > 20_000_000:
        raise InvalidInput(
            "Số công dân phải từ 1 đến 20 triệu (citizens must be between 1 and 20,000,000).",
            fields={"citizens": "out of range"},
        )
    return seed_registry(ctx.db.engine, citizens, seed)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(ctx: Context, agency_code: str) -> tuple[str, ApiKeyView]:
    """A new key for an agency; the key itself is shown once and only its hash is stored."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with unit_of_work(ctx) as s:
        if s.scalar(select(Agency.id).where(Agency.code == agency_code)) is None:
            raise NotFound(f"Không có cơ quan '{agency_code}' (there is no agency '{agency_code}').")
        row = RegistryApiKey(
            agency_code=agency_code, prefix=key[:12], key_hash=_hash(key), created_at=ctx.now()
        )
        s.add(row)
        s.flush()
        return key, _key_view(row)


def revoke_api_key(ctx: Context, prefix: str) -> ApiKeyView:
    with unit_of_work(ctx) as s:
        row = s.scalar(select(RegistryApiKey).where(RegistryApiKey.prefix == prefix))
        if row is None:
            raise NotFound(f"Không có khóa '{prefix}' (there is no key '{prefix}').")
        row.revoked_at = row.revoked_at or ctx.now()
        return _key_view(row)


def list_api_keys(ctx: Context) -> list[ApiKeyView]:
    with ctx.db.read() as s:
        return [_key_view(k) for k in s.scalars(select(RegistryApiKey).order_by(RegistryApiKey.id))]


def _key_view(k: RegistryApiKey) -> ApiKeyView:
    return ApiKeyView(k.id, k.agency_code, k.prefix, k.created_at, k.revoked_at)


# --------------------------------------------------------------------------- the HTTP API's answer


def api_lookup(ctx: Context, api_key: str | None, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Answer an agency's query as the national service does: key, agency and purpose are checked,
    only the procedure's fields are returned, and the query (answered or refused) is logged."""
    if not isinstance(payload, dict):
        raise InvalidInput("The query must be a JSON object.")
    q = RegistryQuery.from_dict(operation, payload)
    refusal: RegistryRefused | None = None
    with unit_of_work(ctx) as s:
        try:
            key = s.scalar(select(RegistryApiKey).where(RegistryApiKey.key_hash == _hash(api_key or "")))
            if key is None or key.revoked_at is not None:
                raise RegistryRefused("key", "Khóa API không hợp lệ (invalid or revoked API key).")
            if q.agency_code and q.agency_code != key.agency_code:
                raise RegistryRefused(
                    "agency",
                    f"Khóa API của {key.agency_code} không dùng cho {q.agency_code} "
                    "(the key belongs to another agency).",
                )
            if not q.agency_code:
                q = RegistryQuery(**{**q.to_dict(), "agency_code": key.agency_code})
            if operation not in OPERATIONS:
                raise RegistryRefused("invalid", f"Unknown operation '{operation}'.")
            entitlement = check_purpose(q.procedure_code, operation)
            result = answer(s, q, entitlement)
        except RegistryRefused as exc:
            refusal = exc
            s.execute(
                insert(RegistryLookup.__table__),
                audit_row(q, "api", "refused", f"{exc.code}: {exc.message}", ctx.now()),
            )
        else:
            s.execute(
                insert(RegistryLookup.__table__),
                audit_row(q, "api", result["status"], result["reason"], ctx.now()),
            )
    if refusal is not None:
        log_lookup(q, "api", f"refused ({refusal.code})")
        raise PermissionDenied(refusal.message, reason=refusal.code)
    log_lookup(q, "api", result["status"])
    return result


# --------------------------------------------------------------------------- audit, evidence, savings


def list_lookups(
    ctx: Context,
    dossier_id: int | None = None,
    agency_code: str | None = None,
    subject_id_number: str | None = None,
    outcome: str | None = None,
    since: datetime | None = None,
    limit: int = 1000,
) -> list[LookupView]:
    """The audit of look-ups, newest first; the subject's ID number is masked in what comes back."""
    with ctx.db.read() as s:
        query = select(RegistryLookup).order_by(RegistryLookup.id.desc()).limit(min(limit, 1_000_000))
        if dossier_id is not None:
            query = query.where(RegistryLookup.dossier_id == dossier_id)
        if agency_code:
            query = query.where(RegistryLookup.agency_code == agency_code)
        if subject_id_number:
            query = query.where(RegistryLookup.subject_id_number == subject_id_number)
        if outcome:
            query = query.where(RegistryLookup.outcome == outcome)
        if since is not None:
            query = query.where(RegistryLookup.at >= since)
        return [
            LookupView(
                r.id,
                r.at,
                r.request_id,
                r.officer,
                r.agency_code,
                r.dossier_id,
                r.procedure_code,
                r.purpose,
                r.document,
                mask_id(r.subject_id_number),
                r.channel,
                r.outcome,
                r.reason,
            )
            for r in s.scalars(query)
        ]


def dossier_evidence(ctx: Context, dossier_id: int) -> list[EvidenceView]:
    """Documents of a dossier that the registry supplied instead of paper."""
    with ctx.db.read() as s:
        rows = s.scalars(
            select(RegistryEvidence)
            .where(RegistryEvidence.dossier_id == dossier_id)
            .order_by(RegistryEvidence.document_code)
        )
        return [
            EvidenceView(
                e.dossier_id,
                e.document_code,
                e.procedure_code,
                e.request_id,
                e.retrieved_at,
                e.officer,
                e.purpose,
                e.trips_saved,
            )
            for e in rows
        ]


def savings(ctx: Context, per: str = "procedure", procedure_code: str | None = None) -> list[SavingsView]:
    """Documents replaced and trips saved, per procedure or per dossier."""
    if per not in ("procedure", "dossier"):
        raise InvalidInput("Use per='procedure' or per='dossier'.", fields={"per": "unknown"})
    e = RegistryEvidence
    with ctx.db.read() as s:
        if per == "dossier":
            query = (
                select(e.procedure_code, e.dossier_id, func.count(), func.sum(e.trips_saved))
                .group_by(e.procedure_code, e.dossier_id)
                .order_by(e.dossier_id)
            )
        else:
            query = (
                select(
                    e.procedure_code,
                    func.count(func.distinct(e.dossier_id)),
                    func.count(),
                    func.sum(e.trips_saved),
                )
                .group_by(e.procedure_code)
                .order_by(e.procedure_code)
            )
        if procedure_code:
            query = query.where(e.procedure_code == procedure_code)
        rows = s.execute(query).all()
    if per == "dossier":
        return [SavingsView(p, d, 1, int(n), int(t or 0)) for p, d, n, t in rows]
    return [SavingsView(p, None, int(d), int(n), int(t or 0)) for p, d, n, t in rows]


def dossier_procedure(ctx: Context, dossier_id: int) -> str | None:
    """The catalog procedure code of a dossier (its lifecycle field, else its process id)."""
    with ctx.db.read() as s:
        row = s.execute(
            select(Dossier.procedure_code, ProcessDefinition.key)
            .join(ProcessVersion, ProcessVersion.id == Dossier.process_version_id)
            .join(ProcessDefinition, ProcessDefinition.id == ProcessVersion.definition_id)
            .where(Dossier.id == dossier_id)
        ).first()
    if row is None:
        raise NotFound(f"There is no dossier {dossier_id}.")
    return row[0] or procedure_code_of(row[1])


def lookup_for_dossier(
    ctx: Context,
    dossier_id: int,
    operation: str,
    identity: dict[str, Any],
    officer: UserView,
    document: str | None = None,
) -> dict[str, Any]:
    """An officer's own look-up for a dossier (e.g. to pre-fill a form by hand), authorised and audited
    exactly like the service-task operators: the officer's agency must handle the dossier, the dossier
    must be in progress and its procedure entitled to the operation."""
    if operation not in OPERATIONS:
        raise InvalidInput(
            f"Không có phép tra cứu '{operation}'; dùng {', '.join(OPERATIONS)}.",
            fields={"operation": "unknown"},
        )
    with ctx.db.read() as s:
        row = s.execute(
            select(ProcessDefinition.key)
            .join(ProcessVersion, ProcessVersion.definition_id == ProcessDefinition.id)
            .join(Dossier, Dossier.process_version_id == ProcessVersion.id)
            .where(Dossier.id == dossier_id)
        ).first()
    if row is None:
        raise NotFound(f"There is no dossier {dossier_id}.")
    run = RunContext(dossier_id, officer.username, officer.agency_code, row[0])
    params = {**identity, "document": document}
    try:
        return population_lookups(ctx).lookup(operation, params, run)
    except OperatorError as exc:
        raise PermissionDenied(str(exc)) from None
