"""The population registry's HTTP API, as the national service offers it to agencies.

``POST /registry/v1/lookup/<operation>`` (operation: lookup, marital_status, household, parents,
residence) with ``Authorization: Bearer <agency key>`` (or ``X-Api-Key``) and a JSON body carrying the
identity (``id_number``, ``full_name``, ``date_of_birth``), ``procedure_code``, ``officer``,
``agency_code``, ``request_id`` and optionally ``dossier_id`` and ``document``. The answer is the
look-up result (status, reason, request_id, entitled fields). 401: bad key; 403: wrong agency or a
purpose the procedure is not entitled to; 400: malformed query. Every query is logged.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from engine.errors import InvalidInput, PermissionDenied
from engine.services import population

bp = Blueprint("registry_api", __name__, url_prefix="/registry/v1")


def _api_key() -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.headers.get("X-Api-Key") or None


@bp.post("/lookup/<operation>")
def lookup(operation: str):
    ctx = current_app.extensions["motcua"]
    payload = request.get_json(silent=True)
    try:
        return jsonify(population.api_lookup(ctx, _api_key(), operation, payload))
    except PermissionDenied as exc:
        reason = exc.details.get("reason")
        return jsonify(error="refused", reason=reason, message=exc.message), 401 if reason == "key" else 403
    except InvalidInput as exc:
        return jsonify(error="invalid_input", message=exc.message, fields=exc.details.get("fields", {})), 400


@bp.get("/health")
def health():
    return jsonify(status="ok")
