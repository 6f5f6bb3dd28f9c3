"""Reform analyst pages: run a simulation or an as-is / to-be comparison as a background job, watch
its progress, read the report.

Inputs come from the procedure catalog (``processes/<code>/as-is.bpmn``, ``to-be.bpmn``,
``scenario.*.json``) or are uploaded. Jobs run behind ``workers.simulation.SimulationJobs``: on rq
when REDIS_URL is configured, else on a thread of this process; the pages do not care which.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.bpmn.validation import SourceFile
from engine.catalog import CatalogError, load_catalog
from engine.errors import InvalidInput
from engine.roles import Role
from engine.services.simulation import catalog_models, simulated_variants
from engine.simulation import load_model, load_scenario
from engine.simulation.report import html_report
from workers.simulation import SimulationJobs, SimulationRequest, simulation_jobs

from .auth import app_context, current_user, require_roles
from .i18n import role_label

bp = Blueprint("analyst", __name__, url_prefix="/analyst")

ROLES = (Role.REFORM_ANALYST, Role.ADMIN)
MODES = ("compare", "as-is", "to-be")
#: Upper bounds a web request may ask for (the CLI has none).
MAX_CASES = 100_000
MAX_REPLICATIONS = 50
MAX_UPLOAD = 5 * 1024 * 1024


def jobs() -> SimulationJobs:
    """The deployment's job runner, made once per application."""
    runner = current_app.extensions.get("motcua_simulation_jobs")
    if runner is None:
        runner = current_app.extensions["motcua_simulation_jobs"] = simulation_jobs(app_context())
    return runner


def catalog() -> list[dict[str, Any]]:
    """Catalog procedures that ship a model and a scenario for at least one variant."""
    folder: Path = app_context().settings.processes_dir
    try:
        procedures = load_catalog(folder)
    except CatalogError:
        procedures = []
    found = []
    for p in procedures:
        variants = simulated_variants(p.folder)
        if variants:
            found.append({"code": p.code, "name_vi": p.name_vi, "name_en": p.name_en, "variants": variants})
    return found


def _page(errors: dict[str, str] | None = None, form=None, status: int = 200):
    user = current_user()
    return render_template(
        "analyst/index.html",
        procedures=catalog(),
        jobs=jobs().recent(),
        errors=errors or {},
        form=form or {},
        modes=MODES,
        user=user,
    ), status


@bp.get("/")
@require_roles(*ROLES)
def index():
    return _page()


def _int(form, name: str, low: int, high: int, errors: dict[str, str]) -> int | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        errors[name] = _("Phải là số nguyên.")
        return None
    if not low <= value <= high:
        errors[name] = _("Phải trong khoảng %(low)s–%(high)s.", low=low, high=high)
        return None
    return value


def _upload(name: str, errors: dict[str, str], suffixes: tuple[str, ...]) -> tuple[str, str] | None:
    file = request.files.get(name)
    if file is None or not file.filename:
        return None
    content = file.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        errors[name] = _("Tệp quá lớn (tối đa 5 MB).")
        return None
    if not file.filename.lower().endswith(suffixes):
        errors[name] = _("Loại tệp không đúng (cần %(kinds)s).", kinds=", ".join(suffixes))
        return None
    try:
        return Path(file.filename).name, content.decode("utf-8")
    except UnicodeDecodeError:
        errors[name] = _("Tệp phải là văn bản UTF-8.")
        return None


def _json(text: str, field: str, errors: dict[str, str]) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError as exc:
        errors[field] = _("Kịch bản không phải JSON hợp lệ: %(error)s", error=str(exc))
        return None
    if not isinstance(value, dict):
        errors[field] = _("Kịch bản phải là một đối tượng JSON.")
        return None
    return value


def _from_catalog(form, errors: dict[str, str]) -> dict[str, Any] | None:
    code = form.get("procedure", "")
    procedure = next((p for p in catalog() if p["code"] == code), None)
    if procedure is None:
        errors["procedure"] = _("Chọn một thủ tục trong danh mục.")
        return None
    mode = form.get("mode", "compare")
    if mode not in MODES:
        errors["mode"] = _("Chọn cách chạy.")
        return None
    wanted = ["as-is", "to-be"] if mode == "compare" else [mode]
    missing = [v for v in wanted if v not in procedure["variants"]]
    if missing:
        errors["mode"] = _(
            "Thủ tục này không có mô hình %(variant)s kèm kịch bản.", variant=", ".join(missing)
        )
        return None
    parts = {
        v: (tuple((f.filename, f.content.decode("utf-8")) for f in files), scenario)
        for v, (files, scenario) in catalog_models(app_context(), code, tuple(wanted)).items()
    }
    name = procedure["name_en"] if _lang() == "en" else procedure["name_vi"]
    first = parts[wanted[0]]
    how = _("so sánh as-is và to-be") if mode == "compare" else mode
    return {
        "label": f"{name} ({how})",
        "bpmn": first[0],
        "scenario": first[1],
        "to_be": parts["to-be"][0] if mode == "compare" else None,
        "to_be_scenario": parts["to-be"][1] if mode == "compare" else None,
    }


def _from_upload(errors: dict[str, str]) -> dict[str, Any] | None:
    bpmn = _upload("bpmn", errors, (".bpmn", ".xml"))
    to_be = _upload("to_be_bpmn", errors, (".bpmn", ".xml"))
    scenario_file = _upload("scenario", errors, (".json",))
    if bpmn is None and "bpmn" not in errors:
        errors["bpmn"] = _("Chọn tệp BPMN.")
    if scenario_file is None and "scenario" not in errors:
        errors["scenario"] = _("Chọn tệp kịch bản JSON.")
    scenario = _json(scenario_file[1], "scenario", errors) if scenario_file else None
    if errors or bpmn is None or scenario is None:
        return None
    label = bpmn[0] + (f" ↔ {to_be[0]}" if to_be else "")
    return {"label": label, "bpmn": (bpmn,), "scenario": scenario, "to_be": (to_be,) if to_be else None}


def _lang() -> str:
    from .i18n import lang

    return lang()


def _check(parts: dict[str, Any], errors: dict[str, str]) -> None:
    """Refuse what the simulator would refuse, now, with the reason beside the field."""
    checks = [("bpmn", parts["bpmn"]), ("to_be_bpmn", parts.get("to_be"))]
    for field, files in checks:
        if not files:
            continue
        try:
            load_model([SourceFile(n, t.encode("utf-8")) for n, t in files])
        except InvalidInput as exc:
            errors[field] = exc.message
        except Exception as exc:  # noqa: BLE001 - an unreadable upload is the user's error, not a 500
            errors[field] = _("Không đọc được mô hình: %(error)s", error=str(exc))
    for field, scenario in (("scenario", parts["scenario"]), ("scenario", parts.get("to_be_scenario"))):
        if scenario is None:
            continue
        try:
            load_scenario(scenario, app_context().calendar)
        except InvalidInput as exc:
            errors[field] = exc.message


@bp.post("/run")
@require_roles(*ROLES)
def run():
    form = request.form
    errors: dict[str, str] = {}
    source = form.get("source", "catalog")
    parts = _from_upload(errors) if source == "upload" else _from_catalog(form, errors)
    cases = _int(form, "cases", 10, MAX_CASES, errors)
    replications = _int(form, "replications", 2, MAX_REPLICATIONS, errors)
    seed = _int(form, "seed", 0, 2**31 - 1, errors)
    if parts is not None and not errors:
        _check(parts, errors)
    if errors or parts is None:
        return _page(errors, form, 422)
    user = current_user()
    job_id = jobs().submit(
        SimulationRequest(
            label=parts["label"],
            bpmn=parts["bpmn"],
            scenario=parts["scenario"],
            to_be=parts.get("to_be"),
            to_be_scenario=parts.get("to_be_scenario"),
            cases=cases,
            replications=replications,
            seed=seed,
            owner=user.username if user else None,
        )
    )
    return redirect(url_for(".job", job_id=job_id), 303)


def _job_or_404(job_id: str):
    status = jobs().status(job_id[:80])
    if status is None:
        abort(404)
    return status


@bp.get("/jobs/<job_id>")
@require_roles(*ROLES)
def job(job_id: str):
    status = _job_or_404(job_id)
    report = status.result if status.state == "finished" else None
    return render_template(
        "analyst/job.html",
        job=status,
        report=report,
        compare=bool(report and "as_is" in report),
        charts=_charts(report) if report else None,
        user=current_user(),
    )


@bp.get("/jobs/<job_id>/progress")
@require_roles(*ROLES)
def progress(job_id: str):
    status = _job_or_404(job_id)
    response = Response(render_template("analyst/_progress.html", job=status))
    if status.done and request.headers.get("HX-Request"):
        response.headers["HX-Refresh"] = "true"  # the page itself shows the report or the error
    return response


@bp.get("/jobs/<job_id>/report.html")
@require_roles(*ROLES)
def report_html(job_id: str):
    status = _job_or_404(job_id)
    if status.result is None:
        abort(404)
    if "as_is" in status.result:
        html = html_report(comparison=status.result)
    else:
        html = html_report(summary=status.result)
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    )
    return response


@bp.get("/jobs/<job_id>/report.json")
@require_roles(*ROLES)
def report_json(job_id: str):
    status = _job_or_404(job_id)
    if status.result is None:
        abort(404)
    body = json.dumps(_finite(status.result), ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="simulation-{job_id[-12:]}.json"'},
    )


def _finite(value: Any) -> Any:
    """NaN (an interval over one replication) as JSON null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _charts(report: dict[str, Any]) -> dict[str, Any]:
    """Chart data: the cycle-time histogram(s) in working days and utilisation per role."""
    variants = (
        [("as_is", report["as_is"]), ("to_be", report["to_be"])] if "as_is" in report else [("run", report)]
    )
    roles = sorted({r["role"] for _k, s in variants for r in s["roles"]})
    first = variants[0][1]["cycle_time_histogram"]
    edges = first.get("edges") or []
    return _finite(
        {
            "bins": [round((a + b) / 2 / 86400, 2) for a, b in zip(edges, edges[1:], strict=False)],
            "histograms": {k: s["cycle_time_histogram"]["counts"] for k, s in variants},
            "roles": roles,
            "role_labels": [role_label(r) for r in roles],
            "utilisation": {
                k: {r["role"]: r["utilisation"]["mean"] for r in s["roles"]} for k, s in variants
            },
        }
    )


#: KPI names (Vietnamese, English) for the report table; unknown keys are shown as they are.
KPI_LABELS = {
    "completed": ("Hồ sơ hoàn thành", "Dossiers completed"),
    "unfinished": ("Hồ sơ chưa xong khi kết thúc", "Dossiers unfinished at the end"),
    "cycle_time_p50": ("Thời gian giải quyết, trung vị", "Cycle time, median"),
    "cycle_time_p90": ("Thời gian giải quyết, phân vị 90", "Cycle time, 90th percentile"),
    "share_on": ("Tỷ lệ đúng ngày hẹn", "Share on the due date"),
    "cycle_time": ("Thời gian giải quyết (trôi qua)", "Cycle time (elapsed)"),
    "cycle_working_time": ("Thời gian giải quyết (giờ làm việc)", "Cycle time (working)"),
    "share_before": ("Tỷ lệ trước hạn", "Share before the limit"),
    "share_on_time": ("Tỷ lệ đúng hạn (trước hoặc đúng hạn)", "Share on time (before or on the limit)"),
    "share_after": ("Tỷ lệ quá hạn", "Share late"),
    "trips": ("Số lần đi lại của người dân", "Citizen trips"),
    "citizen_hours": ("Số giờ của người dân", "Citizen hours"),
    "paper_copies": ("Số bản giấy", "Paper copies"),
    "compliance_cost_vnd": ("Chi phí tuân thủ mỗi hồ sơ", "Compliance cost per dossier"),
    "compliance_cost_vnd_per_year": ("Chi phí tuân thủ mỗi năm", "Compliance cost per year"),
    "resource_cost_vnd": ("Chi phí nhân lực", "Staff cost"),
    "throughput_per_day": ("Số hồ sơ hoàn thành mỗi ngày", "Dossiers completed per day"),
    "wip": ("Hồ sơ đang xử lý (trung bình)", "Work in progress (mean)"),
}


@bp.app_template_filter("kpi_label")
def kpi_label(key: str) -> str:
    vi_en = KPI_LABELS.get(key)
    if vi_en is None:
        return key
    return vi_en[1] if _lang() == "en" else vi_en[0]


@bp.app_template_filter("sim_value")
def sim_value(value: Any, key: str) -> str:
    """A KPI value as people read it: times in hours (days past 48 h), shares in %, money in ₫."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if key.startswith("cycle") or key in ("waiting", "processing", "working"):
        hours = value / 3600
        if abs(hours) >= 48:
            return f"{hours / 24:,.1f} " + ("days" if _lang() == "en" else "ngày")
        return f"{hours:,.2f} h"
    if key.startswith("share"):
        return f"{value * 100:.1f} %"
    if "vnd" in key:
        return f"{value:,.0f} ₫"
    return f"{value:,.2f}"


@bp.app_template_filter("finite_json")
def finite_json(value: Any) -> str:
    return json.dumps(_finite(value), ensure_ascii=False, indent=2)
