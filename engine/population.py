"""The population registry (Cơ sở dữ liệu quốc gia về dân cư): one port, two adapters, the audit.

"Declare once" (Project 06): instead of asking the applicant for a paper copy, an officer's process
looks the person up. A query carries the identity (ID number, name, date of birth), the procedure
code, the officer and a request id; it answers only the fields that procedure is entitled to, and every
query is logged in ``registry_lookups``.

* :class:`PopulationRegistry` is the port; :class:`SqlRegistry` (the embedded default, reading the
  ``registry_*`` tables of motcua's own database) and :class:`HttpRegistry` (a registry elsewhere,
  with timeouts, retries with backoff and a circuit breaker) implement it.
* :class:`PopulationLookups` is what the BPMN service-task operators call: it authorises the look-up
  (the officer belongs to the agency handling the dossier, the dossier is in progress, the procedure
  is entitled to the operation), asks the registry, writes the audit row and, when a look-up replaces
  a required document, the evidence "retrieved from the registry".

Registry outcomes never raise: ``match``, ``mismatch``, ``not_found``, ``deceased`` and ``unavailable``
come back as a status so the model can branch to a verification step or ask for the paper document.
A refused look-up (wrong agency, key or purpose) is not an outcome: it is audited and the service task
fails visibly, for an administrator to fix and an officer to retry.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import event, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from .bpmn.operators import OperatorCall, OperatorError, OperatorRegistry, RunContext
from .store.models import Dossier, User
from .store.registry_tables import RegistryCitizen, RegistryEvidence, RegistryHousehold, RegistryLookup

if TYPE_CHECKING:
    from .context import Context
    from .store.db import Database

log = logging.getLogger("motcua.population")

SOURCE = "population_registry"
OPERATIONS = ("lookup", "marital_status", "household", "parents", "residence")
OPERATOR_PREFIX = "population."
STATUSES = ("match", "mismatch", "not_found", "deceased", "unavailable")
IN_PROGRESS_EXCLUDED_STATUSES = {3, 7, 8, 9, 10}  # refused, withdrawn, stopped, result ready, returned

# ----------------------------------------------------------------------------- entitlements


@dataclass(frozen=True)
class Entitlement:
    """What a procedure may see: person fields and the operations (look-ups) it may make."""

    person_fields: frozenset[str]
    operations: frozenset[str]


_IDENTITY = frozenset({"id_number", "full_name", "date_of_birth", "sex", "nationality"})


def _entitle(fields: set[str], operations: set[str]) -> Entitlement:
    return Entitlement(_IDENTITY | frozenset(fields), frozenset(operations))


# One row per catalog procedure code: the fields its officers need and nothing more.
ENTITLEMENTS: dict[str, Entitlement] = {
    "birth_registration": _entitle(
        {"ethnicity", "permanent_residence", "current_residence"},
        {"lookup", "marital_status", "household", "parents", "residence"},
    ),
    "death_registration": _entitle(
        {"ethnicity", "permanent_residence", "marital_status"},
        {"lookup", "marital_status", "household", "residence"},
    ),
    "marriage_registration": _entitle(
        {"ethnicity", "permanent_residence", "current_residence", "marital_status"},
        {"lookup", "marital_status", "residence"},
    ),
    "marital_status_certificate": _entitle(
        {"ethnicity", "permanent_residence", "current_residence", "marital_status"},
        {"lookup", "marital_status", "residence"},
    ),
    "permanent_residence": _entitle(
        {
            "ethnicity",
            "religion",
            "home_town",
            "permanent_residence",
            "temporary_residence",
            "current_residence",
            "relationship_to_head",
        },
        {"lookup", "household", "residence"},
    ),
    "child_under6_bundle": _entitle(
        {"ethnicity", "permanent_residence", "current_residence"},
        {"lookup", "marital_status", "household", "parents", "residence"},
    ),
    "building_permit": _entitle({"permanent_residence", "current_residence"}, {"lookup", "residence"}),
    "criminal_record": _entitle(
        {
            "other_names",
            "place_of_birth",
            "ethnicity",
            "permanent_residence",
            "temporary_residence",
            "current_residence",
        },
        {"lookup", "marital_status", "parents", "residence"},
    ),
}

# Trips to an office the applicant no longer makes when the registry replaces a document: obtaining a
# certificate issued by another procedure takes two (apply, collect); a certified copy takes one.
TRIPS_SAVED: dict[str, int] = {
    "marital_status_certificate": 2,
    "residence_confirmation": 2,
    "residence_certificate": 2,
    "marriage_certificate": 1,
    "parents_marriage_certificate": 1,
    "household_book": 1,
    "id_card_copy": 1,
    "birth_certificate_copy": 1,
}
DEFAULT_TRIPS_SAVED = 1


def trips_saved(document_code: str) -> int:
    return TRIPS_SAVED.get(document_code, DEFAULT_TRIPS_SAVED)


def procedure_code_of(process_key: str | None) -> str | None:
    """The catalog procedure code of a process id (``<procedure_code>_as_is`` / ``_to_be``)."""
    if not process_key:
        return None
    for suffix in ("_as_is", "_to_be"):
        if process_key.endswith(suffix):
            return process_key[: -len(suffix)]
    return process_key


# ----------------------------------------------------------------------------- queries and errors


@dataclass(frozen=True)
class RegistryQuery:
    """One look-up as an agency sends it to the registry."""

    operation: str
    id_number: str
    full_name: str | None
    date_of_birth: str | None
    procedure_code: str | None
    officer: str | None
    agency_code: str | None
    request_id: str
    dossier_id: int | None = None
    document: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, operation: str, data: Mapping[str, Any]) -> RegistryQuery:
        dossier = data.get("dossier_id")
        return cls(
            operation=operation,
            id_number=_text(data.get("id_number")) or "",
            full_name=_text(data.get("full_name")),
            date_of_birth=_text(data.get("date_of_birth")),
            procedure_code=_text(data.get("procedure_code")),
            officer=_text(data.get("officer")),
            agency_code=_text(data.get("agency_code")),
            request_id=_text(data.get("request_id")) or uuid.uuid4().hex,
            dossier_id=int(dossier) if isinstance(dossier, int | str) and str(dossier).isdigit() else None,
            document=_text(data.get("document")),
        )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, date | datetime):
        return value.isoformat()[:10]
    value = str(value).strip()
    return value or None


class RegistryRefused(Exception):
    """The look-up is not allowed: ``code`` is key | agency | purpose | officer | dossier | invalid."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def check_purpose(procedure_code: str | None, operation: str) -> Entitlement:
    """The procedure's entitlement, if it may make this look-up at all."""
    if operation not in OPERATIONS:
        raise RegistryRefused("invalid", f"Không có phép tra cứu '{operation}' (unknown operation).")
    entitlement = ENTITLEMENTS.get(procedure_code or "")
    if entitlement is None:
        raise RegistryRefused(
            "purpose",
            f"Thủ tục '{procedure_code}' không được phép tra cứu CSDL dân cư "
            f"(procedure '{procedure_code}' has no registry entitlement).",
        )
    if operation not in entitlement.operations:
        raise RegistryRefused(
            "purpose",
            f"Thủ tục '{procedure_code}' không được tra cứu '{operation}' "
            f"(procedure '{procedure_code}' is not entitled to the {operation} look-up).",
        )
    return entitlement


# ----------------------------------------------------------------------------- masking


def mask_id(value: str | None) -> str:
    """``079*******12``: the province and the last two digits, enough to tell requests apart."""
    if not value:
        return "-"
    return value[:3] + "*" * max(len(value) - 5, 0) + value[-2:] if len(value) > 5 else "*" * len(value)


def mask_name(value: str | None) -> str:
    """``N. V. A.``: initials only."""
    if not value:
        return "-"
    return " ".join(f"{word[0]}." for word in value.split())


def _normal_name(value: str | None) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", value or "")).strip().casefold()


# ----------------------------------------------------------------------------- the SQL answer


def _result(q: RegistryQuery, status: str, reason: str | None = None, **extra: Any) -> dict[str, Any]:
    result = {
        "status": status,
        "reason": reason,
        "request_id": q.request_id,
        "source": SOURCE,
        "operation": q.operation,
        "document": q.document,
        "person": None,
    }
    result.update(extra)
    return result


def unavailable(q: RegistryQuery, reason: str) -> dict[str, Any]:
    return _result(q, "unavailable", reason)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def answer(session: Session, q: RegistryQuery, entitlement: Entitlement) -> dict[str, Any]:
    """The registry's answer to an authorised query, with only the entitled fields."""
    if not (len(q.id_number) == 12 and q.id_number.isdigit()):
        return _result(q, "not_found", "Số định danh phải gồm 12 chữ số (the ID number must be 12 digits).")
    person = session.get(RegistryCitizen, q.id_number)
    if person is None:
        return _result(q, "not_found", "Không tìm thấy công dân (no citizen with this ID number).")
    differs = []
    if not q.full_name or _normal_name(q.full_name) != _normal_name(person.full_name):
        differs.append("họ tên (full name)")
    try:
        born = date.fromisoformat(q.date_of_birth or "")
    except ValueError:
        born = None
    if born != person.date_of_birth:
        differs.append("ngày sinh (date of birth)")
    if differs:
        return _result(
            q, "mismatch", f"Không khớp với CSDL dân cư: {', '.join(differs)} (differs from the registry)."
        )
    if person.date_of_death is not None:
        return _result(
            q,
            "deceased",
            f"Công dân đã chết ngày {person.date_of_death:%d/%m/%Y} (recorded as deceased).",
        )
    fields = {name: _iso(getattr(person, name)) for name in sorted(entitlement.person_fields)}
    extra: dict[str, Any] = {}
    if q.operation == "marital_status":
        spouse = session.get(RegistryCitizen, person.spouse_id_number) if person.spouse_id_number else None
        extra = {
            "marital_status": person.marital_status,
            "spouse_id_number": person.spouse_id_number,
            "spouse": _relative(spouse),
        }
    elif q.operation == "household":
        extra = {"household": _household(session, person)}
    elif q.operation == "parents":
        father = session.get(RegistryCitizen, person.father_id_number) if person.father_id_number else None
        mother = session.get(RegistryCitizen, person.mother_id_number) if person.mother_id_number else None
        extra = {"father": _relative(father), "mother": _relative(mother)}
    elif q.operation == "residence":
        extra = {
            "permanent_residence": person.permanent_residence,
            "current_residence": person.current_residence,
        }
        if "temporary_residence" in entitlement.person_fields:
            extra["temporary_residence"] = person.temporary_residence
    return _result(q, "match", None, person=fields, **extra)


def _relative(person: RegistryCitizen | None) -> dict[str, Any] | None:
    if person is None:
        return None
    return {
        "id_number": person.id_number,
        "full_name": person.full_name,
        "date_of_birth": _iso(person.date_of_birth),
        "nationality": person.nationality,
        "deceased": person.date_of_death is not None,
    }


def _household(session: Session, person: RegistryCitizen) -> dict[str, Any] | None:
    if person.household_id is None:
        return None
    household = session.get(RegistryHousehold, person.household_id)
    members = session.execute(
        select(
            RegistryCitizen.id_number,
            RegistryCitizen.full_name,
            RegistryCitizen.date_of_birth,
            RegistryCitizen.sex,
            RegistryCitizen.relationship_to_head,
        )
        .where(RegistryCitizen.household_id == person.household_id, RegistryCitizen.date_of_death.is_(None))
        .order_by(RegistryCitizen.date_of_birth)
    ).all()
    head = next((m for m in members if m.relationship_to_head == "head"), None)
    return {
        "file_number": household.file_number if household else None,
        "address": household.address if household else None,
        "relationship_to_head": person.relationship_to_head,
        "head": {"id_number": head.id_number, "full_name": head.full_name} if head else None,
        "members": [
            {
                "id_number": m.id_number,
                "full_name": m.full_name,
                "date_of_birth": _iso(m.date_of_birth),
                "sex": m.sex,
                "relationship_to_head": m.relationship_to_head,
            }
            for m in members
        ],
    }


# ----------------------------------------------------------------------------- the port and adapters


class PopulationRegistry(Protocol):
    """Answers an authorised query; registry outcomes (including unreachable) come back as a status."""

    channel: str

    def query(self, q: RegistryQuery, entitlement: Entitlement, session: Session | None = None) -> dict: ...


class SqlRegistry:
    """The embedded registry: the ``registry_*`` tables of motcua's own database."""

    channel = "embedded"

    def __init__(self, db: Database) -> None:
        self.db = db

    def query(self, q: RegistryQuery, entitlement: Entitlement, session: Session | None = None) -> dict:
        try:
            if session is not None:
                with session.no_autoflush:
                    return answer(session, q, entitlement)
            with self.db.read() as own:
                return answer(own, q, entitlement)
        except SQLAlchemyError as exc:
            log.warning("population registry query failed: %s", type(exc).__name__)
            return unavailable(
                q, f"CSDL dân cư không trả lời (registry database error: {type(exc).__name__})."
            )


class CircuitBreaker:
    """Stops calling a registry that keeps failing, then lets one trial call through after a pause.

    closed: calls go through; ``failure_threshold`` failures in a row open it. open: calls are refused
    at once (status unavailable) for ``reset_after`` seconds. half-open: one trial call; success closes
    the breaker, failure opens it again.
    """

    def __init__(
        self,
        failure_threshold: int = 3,
        reset_after: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.reset_after = reset_after
        self.clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial = False
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self._opened_at is None:
            return "closed"
        return "half_open" if self.clock() - self._opened_at >= self.reset_after else "open"

    def allow(self) -> bool:
        with self._lock:
            state = self._state()
            if state == "closed":
                return True
            if state == "half_open" and not self._trial:
                self._trial = True
                return True
            return False

    def record_success(self) -> None:
        with self._lock:
            self._failures, self._opened_at, self._trial = 0, None, False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._trial or self._failures >= self.failure_threshold:
                self._opened_at = self.clock()
            self._trial = False


class HttpRegistry:
    """A registry reached over HTTP (motcua's own ``/registry/v1`` API or a service that speaks it)."""

    channel = "http"

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 2.0,
        retries: int = 2,
        backoff: float = 0.1,
        breaker: CircuitBreaker | None = None,
        transport: Any = None,
    ) -> None:
        import httpx

        self._httpx = httpx
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self.backoff = backoff
        self.breaker = breaker or CircuitBreaker()
        self.client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 1.0)),
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": "motcua-population/1"},
            transport=transport,
        )

    def close(self) -> None:
        self.client.close()

    def query(self, q: RegistryQuery, entitlement: Entitlement, session: Session | None = None) -> dict:
        httpx = self._httpx
        if not self.breaker.allow():
            return unavailable(
                q, "CSDL dân cư tạm ngừng kết nối sau nhiều lỗi liên tiếp (circuit breaker open)."
            )
        problem = "no attempt"
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                response = self.client.post(
                    f"{self.base_url}/registry/v1/lookup/{q.operation}", json=q.to_dict()
                )
            except httpx.TimeoutException:
                problem = "timed out"
                continue
            except httpx.TransportError as exc:
                problem = f"connection failed ({type(exc).__name__})"
                continue
            if response.status_code >= 500 or response.status_code == 429:
                problem = f"HTTP {response.status_code}"
                continue
            self.breaker.record_success()
            body = _json_body(response)
            if response.status_code in (401, 403):
                raise RegistryRefused(
                    body.get("reason") or ("key" if response.status_code == 401 else "purpose"),
                    body.get("message") or f"the registry refused the look-up (HTTP {response.status_code})",
                )
            if response.status_code != 200 or body.get("status") not in STATUSES:
                raise RegistryRefused(
                    "invalid",
                    body.get("message")
                    or f"unexpected answer from the registry (HTTP {response.status_code})",
                )
            return body
        self.breaker.record_failure()
        return unavailable(q, f"Không kết nối được CSDL dân cư (registry unreachable: {problem}).")


def _json_body(response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def registry_from_settings(settings, db: Database) -> PopulationRegistry:
    """HTTP when ``MOTCUA_REGISTRY_URL`` is set (with ``MOTCUA_REGISTRY_API_KEY``), else embedded SQL."""
    extra = settings.extra or {}
    url = extra.get("MOTCUA_REGISTRY_URL")
    if not url:
        return SqlRegistry(db)
    return HttpRegistry(
        url,
        extra.get("MOTCUA_REGISTRY_API_KEY", ""),
        timeout=float(extra.get("MOTCUA_REGISTRY_TIMEOUT", "2.0")),
        retries=int(extra.get("MOTCUA_REGISTRY_RETRIES", "2")),
        breaker=CircuitBreaker(
            failure_threshold=int(extra.get("MOTCUA_REGISTRY_BREAKER_FAILURES", "3")),
            reset_after=float(extra.get("MOTCUA_REGISTRY_BREAKER_RESET", "30")),
        ),
    )


# ----------------------------------------------------------------------------- the use case's session

# Operators run inside a use case's transaction (submit, complete, retry). Looking up with that same
# session sees the dossier the use case just created and writes the audit and evidence rows in the same
# transaction; on SQLite a second connection could not write while the use case holds the write lock.
_write_session: ContextVar[Session | None] = ContextVar("motcua_write_session", default=None)
_tracking = threading.Lock()
_tracking_on = False


def _session_began(session: Session, transaction, connection) -> None:
    if not connection.get_execution_options().get("motcua_readonly", False):
        _write_session.set(session)


def _session_ended(session: Session, transaction) -> None:
    if transaction.parent is None and _write_session.get() is session:
        _write_session.set(None)


def track_write_sessions() -> None:
    global _tracking_on
    with _tracking:
        if not _tracking_on:
            event.listen(Session, "after_begin", _session_began)
            event.listen(Session, "after_transaction_end", _session_ended)
            _tracking_on = True


# ----------------------------------------------------------------------------- the application side


def audit_row(
    q: RegistryQuery, channel: str, outcome: str, reason: str | None, at: datetime
) -> dict[str, Any]:
    return dict(
        at=at,
        request_id=q.request_id,
        officer=q.officer,
        agency_code=q.agency_code,
        dossier_id=q.dossier_id,
        procedure_code=q.procedure_code,
        purpose=q.operation,
        document=q.document,
        subject_id_number=q.id_number[:12] or None,
        channel=channel,
        outcome=outcome,
        reason=reason,
    )


def log_lookup(q: RegistryQuery, channel: str, outcome: str) -> None:
    """One log line per look-up; personal data masked."""
    log.info(
        "population %s via %s: subject=%s name=%s dossier=%s procedure=%s officer=%s agency=%s outcome=%s "
        "request=%s",
        q.operation,
        channel,
        mask_id(q.id_number),
        mask_name(q.full_name),
        q.dossier_id,
        q.procedure_code,
        q.officer,
        q.agency_code,
        outcome,
        q.request_id,
    )


class PopulationLookups:
    """Authorised, audited look-ups for running dossiers: what the service-task operators call."""

    def __init__(self, db: Database, registry: PopulationRegistry, now: Callable[[], datetime]) -> None:
        self.db = db
        self.registry = registry
        self.now = now
        track_write_sessions()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        """The use case's own transaction when one is open on this database, else a new one."""
        session = _write_session.get()
        if session is not None and session.get_bind() is self.db.engine and session.in_transaction():
            with session.no_autoflush:
                yield session
            return
        with self.db.transaction() as own:
            yield own

    def lookup(self, operation: str, params: Mapping[str, Any], run: RunContext) -> dict[str, Any]:
        refusal: RegistryRefused | None = None
        with self._session() as s:
            dossier = s.get(Dossier, run.dossier_id) if run.dossier_id is not None else None
            procedure = (dossier.procedure_code if dossier is not None else None) or procedure_code_of(
                run.procedure_code
            )
            q = RegistryQuery(
                operation=operation,
                id_number=_text(params.get("id_number")) or "",
                full_name=_text(params.get("full_name")),
                date_of_birth=_text(params.get("date_of_birth")),
                procedure_code=procedure,
                officer=run.actor,
                agency_code=run.agency_code,
                request_id=uuid.uuid4().hex,
                dossier_id=run.dossier_id,
                document=_text(params.get("document")),
            )
            try:
                entitlement = self._authorise(s, q, dossier)
                result = self.registry.query(
                    q, entitlement, s if self.registry.channel == "embedded" else None
                )
            except RegistryRefused as exc:
                refusal = exc
                s.execute(
                    insert(RegistryLookup.__table__),
                    audit_row(q, self.registry.channel, "refused", f"{exc.code}: {exc.message}", self.now()),
                )
            else:
                at = self.now()
                s.execute(
                    insert(RegistryLookup.__table__),
                    audit_row(q, self.registry.channel, result["status"], result.get("reason"), at),
                )
                if result["status"] == "match" and q.document and q.dossier_id is not None:
                    self._record_evidence(s, q, at)
                    result["evidence"] = "retrieved_from_registry"
                result["retrieved_at"] = at.isoformat()
        if refusal is not None:
            log_lookup(q, self.registry.channel, f"refused ({refusal.code})")
            raise OperatorError(f"Tra cứu CSDL dân cư bị từ chối: {refusal.message}")
        log_lookup(q, self.registry.channel, result["status"])
        return result

    def _authorise(self, s: Session, q: RegistryQuery, dossier: Dossier | None) -> Entitlement:
        if dossier is None:
            raise RegistryRefused("dossier", "Tra cứu phải gắn với một hồ sơ (a look-up needs a dossier).")
        if dossier.agency.code != q.agency_code:
            raise RegistryRefused(
                "agency",
                f"Hồ sơ {dossier.id} do {dossier.agency.code} xử lý, không phải {q.agency_code} "
                "(the dossier belongs to another agency).",
            )
        if (
            dossier.run_state in ("completed", "cancelled")
            or dossier.completed_at is not None
            or dossier.status in IN_PROGRESS_EXCLUDED_STATUSES
        ):
            raise RegistryRefused(
                "dossier", f"Hồ sơ {dossier.id} không còn đang xử lý (the dossier is not in progress)."
            )
        if q.officer not in (None, "system"):
            user = s.execute(select(User.agency_id, User.active).where(User.username == q.officer)).first()
            if user is None or not user.active or user.agency_id != dossier.agency_id:
                raise RegistryRefused(
                    "officer",
                    f"'{q.officer}' không phải cán bộ của cơ quan xử lý hồ sơ "
                    "(only officers of the agency handling the dossier may look up).",
                )
        return check_purpose(q.procedure_code, q.operation)

    def _record_evidence(self, s: Session, q: RegistryQuery, at: datetime) -> None:
        """The document is on file as "retrieved from the registry"; a later look-up refreshes it."""
        table = RegistryEvidence.__table__
        values = dict(request_id=q.request_id, retrieved_at=at, officer=q.officer, purpose=q.operation)
        dialect = s.get_bind().dialect.name
        if dialect in ("sqlite", "postgresql"):
            upsert = (sqlite_insert if dialect == "sqlite" else postgresql_insert)(table).values(
                dossier_id=q.dossier_id,
                document_code=q.document,
                procedure_code=q.procedure_code,
                trips_saved=trips_saved(q.document),
                **values,
            )
            s.execute(
                upsert.on_conflict_do_update(index_elements=["dossier_id", "document_code"], set_=values)
            )
            return
        changed = s.execute(
            update(table)
            .where(table.c.dossier_id == q.dossier_id, table.c.document_code == q.document)
            .values(**values)
        ).rowcount
        if not changed:
            s.execute(
                insert(table).values(
                    dossier_id=q.dossier_id,
                    document_code=q.document,
                    procedure_code=q.procedure_code,
                    trips_saved=trips_saved(q.document),
                    **values,
                )
            )


# ----------------------------------------------------------------------------- operators and wiring


class _Binding:
    lookups: PopulationLookups | None = None


class PopulationOperator:
    """A ``population.*`` service-task operator; it works once :func:`install_population` bound it."""

    def __init__(self, operation: str, binding: _Binding) -> None:
        self.operation = operation
        self.binding = binding

    def __call__(self, call: OperatorCall) -> dict[str, Any]:
        lookups = self.binding.lookups
        if lookups is None:
            raise OperatorError("the population registry is not installed in this motcua")
        return lookups.lookup(self.operation, call.params, call.context)


_DESCRIPTIONS = {
    "lookup": "Tra cứu công dân trong CSDL dân cư (identity check and entitled person fields).",
    "marital_status": "Tình trạng hôn nhân và vợ/chồng (marital status and spouse).",
    "household": "Hộ gia đình: chủ hộ, thành viên, quan hệ (household head and members).",
    "parents": "Cha, mẹ (father and mother).",
    "residence": "Nơi thường trú, nơi ở hiện tại (permanent and current residence).",
}


def register_population_operators(registry: OperatorRegistry) -> None:
    """Register the five ``population.*`` operators (no database needed, so validation knows them)."""
    binding = _Binding()
    for operation in OPERATIONS:
        registry.register(
            OPERATOR_PREFIX + operation, PopulationOperator(operation, binding), _DESCRIPTIONS[operation]
        )


def install_population(ctx: Context, registry: PopulationRegistry | None = None) -> PopulationLookups:
    """Bind the operators to this context's database and the configured registry adapter."""
    lookups = PopulationLookups(ctx.db, registry or registry_from_settings(ctx.settings, ctx.db), ctx.now)
    for info in ctx.operators.describe():
        if isinstance(info.function, PopulationOperator):
            info.function.binding.lookups = lookups
    ctx.__dict__["population"] = lookups
    return lookups


def population_lookups(ctx: Context) -> PopulationLookups:
    lookups = ctx.__dict__.get("population")
    if lookups is None:
        raise OperatorError("the population registry is not installed in this motcua")
    return lookups
