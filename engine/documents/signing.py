"""Agency keys and PAdES signatures on result documents (pyHanko), and their verification.

Each agency gets an ECDSA P-256 key and a self-signed certificate (the agency's seal, con dấu số)
the first time it needs one. The private key is stored encrypted with the installation's secret.
A signed result verifies only when the signature is intact, covers the whole file and was made by a
certificate motcua issued to an agency: any changed, added or removed byte makes it fail.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

log = logging.getLogger(__name__)

CERT_VALIDITY = timedelta(days=3650)


@dataclass(frozen=True)
class AgencyCredentials:
    key_pem: bytes  # PKCS#8, encrypted with the installation secret
    certificate_pem: bytes
    fingerprint: str  # SHA-256 of the certificate (DER), hex


@dataclass(frozen=True)
class Verification:
    valid: bool
    reason: str
    signer: str | None = None
    signed_at: datetime | None = None
    fingerprint: str | None = None


def create_agency_credentials(
    agency_code: str, agency_name: str, now: datetime, secret: str
) -> AgencyCredentials:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, agency_name[:64]),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, agency_code[:64]),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{agency_code} (motcua)"[:64]),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + CERT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    return AgencyCredentials(
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(secret.encode("utf-8")),
        ),
        certificate_pem=cert.public_bytes(serialization.Encoding.PEM),
        fingerprint=hashlib.sha256(der).hexdigest(),
    )


def _asn1_cert(pem: bytes) -> asn1_x509.Certificate:
    der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
    return asn1_x509.Certificate.load(der)


def sign_pdf(pdf: bytes, credentials: AgencyCredentials, secret: str, reason: str, location: str) -> bytes:
    """A PAdES (B-B) signature over the whole document with the agency's key."""
    from pyhanko.keys import load_private_key_from_pemder_data
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    cert = _asn1_cert(credentials.certificate_pem)
    key = load_private_key_from_pemder_data(credentials.key_pem, passphrase=secret.encode("utf-8"))
    signer = signers.SimpleSigner(
        signing_cert=cert, signing_key=key, cert_registry=SimpleCertificateStore.from_certs([cert])
    )
    meta = signers.PdfSignatureMetadata(
        field_name="AgencySeal",
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    out = _run_on_own_loop(signers.async_sign_pdf(writer, meta, signer=signer))
    return out.getvalue()


def _run_on_own_loop(coroutine):
    """pyHanko signs asynchronously. Run it on a loop of its own, in a worker thread when the calling
    thread already runs one (an async server, a browser driver), where ``asyncio.run`` would fail."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _strict_container_check(pdf: bytes, embedded, trusted_ders: set[bytes]) -> str | None:
    """The bytes the signature does not cover (its own container) must be exactly what was signed in:
    canonical upper-case hex, a DER container followed only by zero padding, and certificates that are
    byte for byte the agency's. Without this a changed padding byte or hex letter case would pass."""
    from asn1crypto import parser

    altered = "Văn bản đã bị sửa sau khi ký / The document was altered after signing."
    start, length, end, _ = (int(x) for x in embedded.sig_object["/ByteRange"])
    gap = pdf[start + length : end]
    if len(gap) < 2 or gap[:1] != b"<" or gap[-1:] != b">":
        return altered
    hex_digits = gap[1:-1]
    if hex_digits != hex_digits.upper():
        return altered
    try:
        container = bytes.fromhex(hex_digits.decode("ascii"))
        _, _, _, header, contents, _ = parser.parse(container, strict=False)
    except (ValueError, UnicodeDecodeError):
        return altered
    used = len(header) + len(contents)
    if any(container[used:]):
        return altered
    certificates = embedded.signed_data["certificates"]
    if not certificates or any(choice.chosen.dump() not in trusted_ders for choice in certificates):
        return "Chữ ký không do cơ quan được tin cậy / Signed by an unknown party."
    return None


def verify_pdf(pdf: bytes, trusted_certificates: list[bytes]) -> Verification:
    """Check a signed result: intact, covering the entire file, by a trusted agency certificate."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        roots = [_asn1_cert(pem) for pem in trusted_certificates]
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
        if not signatures:
            return Verification(False, "Văn bản không có chữ ký số / The file carries no signature.")
        embedded = signatures[-1]
        problem = _strict_container_check(pdf, embedded, {root.dump() for root in roots})
        if problem:
            return Verification(False, problem)
        status = validate_pdf_signature(embedded, ValidationContext(trust_roots=roots, allow_fetching=False))
    except Exception as exc:  # noqa: BLE001 - a damaged file is a failed verification, never a crash
        log.info("signature verification failed: %s: %s", type(exc).__name__, exc)
        return Verification(
            False, f"Không đọc được chữ ký / The signature cannot be read ({type(exc).__name__})."
        )
    signer_cert = status.signing_cert
    fingerprint = hashlib.sha256(signer_cert.dump()).hexdigest() if signer_cert is not None else None
    signer = signer_cert.subject.human_friendly if signer_cert is not None else None
    if not status.intact or not status.valid:
        return Verification(
            False, "Chữ ký không khớp nội dung: văn bản đã bị sửa / The document was altered.", signer
        )
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        return Verification(
            False, "Có nội dung được thêm sau khi ký / Content was added after signing.", signer
        )
    if not status.trusted:
        return Verification(
            False, "Chữ ký không do cơ quan được tin cậy / Signed by an unknown party.", signer
        )
    return Verification(
        True, "Chữ ký hợp lệ / The signature is valid.", signer, status.signer_reported_dt, fingerprint
    )
