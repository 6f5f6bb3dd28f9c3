"""Stamping (đóng dấu): the signed result document, the agency keys, and verification of a file."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..context import Context
from ..documents import pdf_forms
from ..documents.signing import AgencyCredentials, create_agency_credentials, sign_pdf, verify_pdf
from ..errors import NotFound
from ..store.lifecycle_tables import AgencyKey, IssuedDocument
from ..store.models import Agency, Dossier
from ..views import View
from . import unit_of_work


@dataclass(frozen=True)
class DocumentCheck(View):
    """The outcome of checking a file: its signature and whether motcua issued exactly these bytes."""

    valid: bool
    reason: str
    signer: str | None
    issued: bool
    dossier_code: str | None
    token: str | None
    signed_at: datetime | None


def public_url(ctx: Context) -> str:
    return (ctx.settings.extra.get("MOTCUA_PUBLIC_URL") or "http://localhost:5000").rstrip("/")


def agency_credentials(ctx: Context, s: Session, agency: Agency) -> AgencyCredentials:
    """The agency's signing key and certificate, created the first time the agency needs them."""
    row = s.get(AgencyKey, agency.id)
    if row is None:
        made = create_agency_credentials(agency.code, agency.name, ctx.now(), ctx.settings.secret_key)
        row = AgencyKey(
            agency_id=agency.id,
            key_pem=made.key_pem,
            certificate_pem=made.certificate_pem,
            fingerprint=made.fingerprint,
            created_at=ctx.now(),
        )
        s.add(row)
        s.flush()
    return AgencyCredentials(bytes(row.key_pem), bytes(row.certificate_pem), row.fingerprint)


def ensure_agency_key(ctx: Context, agency_code: str) -> str:
    """Create the agency's key and certificate now (``motcua dossier keys``); returns the fingerprint."""
    with unit_of_work(ctx) as s:
        agency = s.scalar(select(Agency).where(Agency.code == agency_code))
        if agency is None:
            raise NotFound(f"There is no agency '{agency_code}'.")
        return agency_credentials(ctx, s, agency).fingerprint


def issue_result_document(ctx: Context, s: Session, dossier: Dossier, data: dict[str, Any]) -> IssuedDocument:
    """Produce the result PDF of a dossier, signed with its agency's key, with a QR code to its
    public verification page (runs in the stamping step's transaction)."""
    from .dossiers import _lifecycle_view

    token = secrets.token_urlsafe(18)
    view = _lifecycle_view(ctx, s, dossier)
    url = f"{public_url(ctx)}/verify/{token}"
    pdf = pdf_forms.result_document(view, url, {**data, "issued_at": ctx.now()})
    credentials = agency_credentials(ctx, s, dossier.agency)
    signed = sign_pdf(
        pdf,
        credentials,
        ctx.settings.secret_key,
        reason=f"Kết quả giải quyết hồ sơ {dossier.code or dossier.id}",
        location=dossier.agency.name,
    )
    doc = IssuedDocument(
        dossier_id=dossier.id,
        kind="result",
        token=token,
        sha256=hashlib.sha256(signed).hexdigest(),
        signed=True,
        content=signed,
        created_at=ctx.now(),
    )
    s.add(doc)
    s.flush()
    return doc


def verify_document(ctx: Context, pdf: bytes) -> DocumentCheck:
    """Check a file against the agencies' certificates and the documents motcua issued."""
    digest = hashlib.sha256(pdf).hexdigest()
    with ctx.db.read() as s:
        trusted = [bytes(pem) for pem in s.scalars(select(AgencyKey.certificate_pem))]
        issued = s.execute(
            select(IssuedDocument.token, Dossier.code)
            .join(Dossier, Dossier.id == IssuedDocument.dossier_id)
            .where(IssuedDocument.sha256 == digest)
        ).first()
    result = verify_pdf(pdf, trusted)
    return DocumentCheck(
        valid=result.valid and issued is not None,
        reason=result.reason
        if not result.valid or issued is not None
        else "Chữ ký hợp lệ nhưng không có trong sổ văn bản đã cấp / "
        "Signed, but not a document motcua issued.",
        signer=result.signer,
        issued=issued is not None,
        dossier_code=issued[1] if issued else None,
        token=issued[0] if issued else None,
        signed_at=result.signed_at,
    )


@dataclass(frozen=True)
class IssuedView(View):
    token: str
    kind: str
    dossier_code: str | None
    agency_name: str
    sha256: str
    issued_at: datetime


def issued_by_token(ctx: Context, token: str) -> IssuedView:
    """What the public verification page shows for a document token: nothing personal."""
    with ctx.db.read() as s:
        row = s.execute(
            select(IssuedDocument, Dossier)
            .join(Dossier, Dossier.id == IssuedDocument.dossier_id)
            .where(IssuedDocument.token == (token or "")[:64])
        ).first()
        if row is None:
            raise NotFound("Không tìm thấy văn bản / Document not found.")
        doc, dossier = row
        return IssuedView(doc.token, doc.kind, dossier.code, dossier.agency.name, doc.sha256, doc.created_at)
