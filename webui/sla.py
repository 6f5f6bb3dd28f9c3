"""Public on-time statistics (the figures a centre publishes): an HTML table and the CSV export."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, current_app, render_template, request

from engine.errors import InvalidInput
from engine.services import sla as sla_services

bp = Blueprint("sla", __name__, url_prefix="/sla")


def _period() -> tuple[date, date, str | None, str | None]:
    try:
        start = date.fromisoformat(request.args["from"])
        end = date.fromisoformat(request.args["to"])
    except (KeyError, ValueError):
        raise InvalidInput(
            "Chọn kỳ báo cáo: from=YYYY-MM-DD&to=YYYY-MM-DD. / Give the period as from and to (YYYY-MM-DD).",
            fields={"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"},
        ) from None
    return start, end, request.args.get("agency") or None, request.args.get("procedure") or None


@bp.errorhandler(InvalidInput)
def _invalid(exc: InvalidInput):
    return Response(exc.message, status=400, mimetype="text/plain")


@bp.get("/ontime")
def ontime():
    ctx = current_app.extensions["motcua"]
    start, end, agency, procedure = _period()
    rows = sla_services.ontime_report(ctx, start, end, agency, procedure)
    return render_template(
        "sla/ontime.html",
        rows=rows,
        start=start,
        end=end,
        agency=agency,
        procedure=procedure,
        args=request.args,
    )


@bp.get("/ontime.csv")
def ontime_csv():
    ctx = current_app.extensions["motcua"]
    start, end, agency, procedure = _period()
    rows = sla_services.ontime_report(ctx, start, end, agency, procedure)
    name = f"dung-han-{start.isoformat()}-{end.isoformat()}.csv"
    return Response(
        "\ufeff" + sla_services.report_csv(rows),  # a BOM so spreadsheet programs read UTF-8
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
