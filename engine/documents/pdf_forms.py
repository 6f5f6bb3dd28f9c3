"""The legal forms of the one-stop mechanism as PDF, with a font that covers Vietnamese.

Forms follow the rule set in force on the dossier's reception date (Circular 01/2018/TT-VPCP or
03/2025/TT-VPCP numbering): 01 receipt and appointment slip (with a QR code of the dossier code),
02 supplement request, 03 refusal, 04 apology and new appointment date, the 03/2025 notice that
processing stopped, the processing control slip and the dossier register, and the result document.
DejaVu Sans (shipped in ``fonts/`` with its licence) is embedded, so every diacritic prints and
extracts back as text.
"""

from __future__ import annotations

import io
import threading
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import segno
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ..clock import VIETNAM
from ..legal_rules import RuleSet

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT, FONT_BOLD = "DejaVuSans", "DejaVuSans-Bold"
_fonts_lock = threading.Lock()
_fonts_ready = False

RESULT_LABELS = {"early": "Trước hạn", "on_time": "Đúng hạn", "late": "Quá hạn", "open": "Đang xử lý"}
#: the result document of each catalog procedure (codes)
RESULT_TITLES = {
    "birth_registration": "Trích lục khai sinh",
    "death_registration": "Trích lục khai tử",
    "marriage_registration": "Giấy chứng nhận kết hôn",
    "marital_status_certificate": "Giấy xác nhận tình trạng hôn nhân",
    "permanent_residence": "Thông báo kết quả đăng ký thường trú",
    "child_under6_bundle": "Trích lục khai sinh, thông báo đăng ký thường trú và thẻ bảo hiểm y tế",
    "building_permit": "Giấy phép xây dựng nhà ở riêng lẻ",
    "criminal_record": "Phiếu lý lịch tư pháp",
}
CHANNEL_LABELS = {"counter": "Trực tiếp", "post": "Bưu chính", "online": "Trực tuyến"}


def _register_fonts() -> None:
    global _fonts_ready
    with _fonts_lock:
        if _fonts_ready:
            return
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_DIR / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
        pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)
        _fonts_ready = True


def _styles() -> dict[str, ParagraphStyle]:
    _register_fonts()
    base = ParagraphStyle("base", fontName=FONT, fontSize=11, leading=15)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=9, leading=12),
        "center": ParagraphStyle("center", parent=base, alignment=TA_CENTER),
        "bold_center": ParagraphStyle("bold_center", parent=base, fontName=FONT_BOLD, alignment=TA_CENTER),
        "title": ParagraphStyle(
            "title", parent=base, fontName=FONT_BOLD, fontSize=14, leading=19, alignment=TA_CENTER
        ),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8.5, leading=11),
    }


def nfc(text: Any) -> str:
    """Vietnamese text in composed form (one code point per letter), as the font and readers expect."""
    return unicodedata.normalize("NFC", "" if text is None else str(text))


def local(moment: datetime | None, with_time: bool = True) -> str:
    if moment is None:
        return "—"
    fmt = "%H giờ %M, ngày %d/%m/%Y" if with_time else "%d/%m/%Y"
    return moment.astimezone(VIETNAM).strftime(fmt)


class QrCode(Flowable):
    """A QR code drawn as vector squares (no image decoding involved)."""

    def __init__(self, data: str, size: float = 32 * mm) -> None:
        super().__init__()
        self.qr = segno.make(data, error="m", micro=False)
        self.size = size
        self.width = self.height = size

    def draw(self) -> None:
        matrix = [list(row) for row in self.qr.matrix]
        count = len(matrix) + 8  # quiet zone of 4 modules on each side
        module = self.size / count
        canvas = self.canv
        canvas.setFillColor(colors.black)
        for y, row in enumerate(matrix):
            for x, dark in enumerate(row):
                if dark:
                    canvas.rect(
                        (x + 4) * module, self.size - (y + 5) * module, module, module, stroke=0, fill=1
                    )


def _header(agency_name: str, styles) -> Table:
    left = [Paragraph(escape(nfc(agency_name)).upper(), styles["bold_center"])]
    right = [
        Paragraph("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", styles["bold_center"]),
        Paragraph("Độc lập - Tự do - Hạnh phúc", styles["bold_center"]),
    ]
    table = Table([[left, right]], colWidths=[75 * mm, 100 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _form_number(rules: RuleSet, key: str) -> str:
    form = rules.form(key)
    return f"Mẫu số {form.number} — {rules.circular}" if form else rules.circular


def _title(rules: RuleSet, key: str) -> str:
    form = rules.form(key)
    return form.title_vi.upper() if form else key


def _build(story: list, page=A4) -> bytes:
    _register_fonts()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=page,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title="motcua",
        author="motcua",
        invariant=1,
    )
    doc.build(story)
    return buffer.getvalue()


def _para(text: str, style) -> Paragraph:
    return Paragraph(escape(nfc(text)), style)


def _lines(pairs: Sequence[tuple[str, Any]], styles) -> list:
    return [
        Paragraph(
            f"<b>{escape(nfc(label))}:</b> {escape(nfc(value if value not in (None, '') else '—'))}",
            styles["base"],
        )
        for label, value in pairs
    ]


def _document(rules: RuleSet, key: str, agency_name: str, body: list, styles) -> list:
    return [
        _para(_form_number(rules, key), styles["small"]),
        _header(agency_name, styles),
        Spacer(1, 8 * mm),
        _para(_title(rules, key), styles["title"]),
        Spacer(1, 6 * mm),
        *body,
    ]


def receipt(view, rules: RuleSet, officer: str | None = None, documents: Sequence[str] = ()) -> bytes:
    """Form 01: receipt and appointment slip, with the QR code of the dossier code."""
    styles = _styles()
    body = _lines(
        [
            ("Mã hồ sơ", view.code),
            ("Người nộp hồ sơ", view.applicant_name),
            ("Thủ tục hành chính", view.procedure_name),
            ("Hình thức nộp", CHANNEL_LABELS.get(view.channel, view.channel)),
            ("Thời gian tiếp nhận", local(view.received_at)),
            ("Ngày hẹn trả kết quả", local(view.due_at)),
            ("Cán bộ tiếp nhận", officer),
        ],
        styles,
    )
    if documents:
        body.append(_para("Thành phần hồ sơ đã nhận:", styles["base"]))
        body += [_para(f"• {d}", styles["base"]) for d in documents]
    body += [
        Spacer(1, 6 * mm),
        QrCode(view.code or ""),
        _para("Tra cứu bằng mã hồ sơ ở trên.", styles["small"]),
    ]
    return _build(_document(rules, "receipt", view.agency_name, body, styles))


def supplement_request(view, rules: RuleSet, officer: str | None = None) -> bytes:
    """Form 02: request to supplement the dossier (once, completely)."""
    styles = _styles()
    body = _lines(
        [
            ("Mã hồ sơ", view.code),
            ("Người nộp hồ sơ", view.applicant_name),
            ("Thủ tục hành chính", view.procedure_name),
            ("Ngày tiếp nhận", local(view.received_at)),
        ],
        styles,
    )
    body.append(_para("Hồ sơ cần bổ sung, hoàn thiện những nội dung sau:", styles["base"]))
    items = list(view.requested_documents) or list(view.reasons) or ["(không nêu)"]
    body += [_para(f"{n}. {item}", styles["base"]) for n, item in enumerate(items, 1)]
    policy = "tính lại từ đầu" if view.supplement_policy == "restart" else "tạm dừng và tiếp tục"
    body.append(_para(f"Thời hạn giải quyết được {policy} khi nhận đủ hồ sơ bổ sung.", styles["base"]))
    body += _lines([("Cán bộ", officer)], styles)
    return _build(_document(rules, "supplement", view.agency_name, body, styles))


def refusal(view, rules: RuleSet, officer: str | None = None) -> bytes:
    """Form 03: refusal to receive (or, after appraisal, to settle) the dossier, with reasons."""
    styles = _styles()
    body = _lines(
        [
            ("Người nộp hồ sơ", view.applicant_name),
            ("Thủ tục hành chính", view.procedure_name),
            ("Mã hồ sơ", view.code),
        ],
        styles,
    )
    body.append(_para("Lý do từ chối:", styles["base"]))
    body += [_para(f"- {r}", styles["base"]) for r in (view.reasons or ["(không nêu)"])]
    body += _lines([("Cán bộ", officer)], styles)
    return _build(_document(rules, "refusal", view.agency_name, body, styles))


def _due_before_apology(view) -> datetime | None:
    moves = [c for c in getattr(view, "clock", ()) if c.kind == "apology"]
    return moves[-1].due_before if moves else view.original_due_at


def apology(view, rules: RuleSet, officer: str | None = None) -> bytes:
    """Form 04: apology and new appointment date."""
    styles = _styles()
    body = [
        _para(f"Kính gửi: {nfc(view.applicant_name or 'Ông/Bà')}", styles["base"]),
        *_lines(
            [
                ("Mã hồ sơ", view.code),
                ("Thủ tục hành chính", view.procedure_name),
                ("Ngày hẹn trả kết quả trước đây", local(_due_before_apology(view))),
                ("Lý do chậm trễ", view.apology_reason),
                ("Ngày hẹn trả kết quả mới", local(view.due_at)),
            ],
            styles,
        ),
        _para("Cơ quan chân thành xin lỗi Ông/Bà vì sự chậm trễ này.", styles["base"]),
        *_lines([("Cán bộ", officer)], styles),
    ]
    return _build(_document(rules, "apology", view.agency_name, body, styles))


def stop_notice(view, rules: RuleSet, officer: str | None = None) -> bytes:
    """The Circular 03/2025 notice that processing of the dossier has stopped."""
    styles = _styles()
    body = _lines(
        [
            ("Mã hồ sơ", view.code),
            ("Người nộp hồ sơ", view.applicant_name),
            ("Thủ tục hành chính", view.procedure_name),
            ("Ngày tiếp nhận", local(view.received_at)),
            ("Thời điểm dừng xử lý", local(view.finished_at)),
            ("Lý do dừng xử lý", view.closed_reason),
            ("Cán bộ", officer),
        ],
        styles,
    )
    return _build(_document(rules, "stop_notice", view.agency_name, body, styles))


def control_slip(view, rules: RuleSet, hand_overs: Sequence) -> bytes:
    """The processing control slip: one row per hand-over, with early / on time / late."""
    styles = _styles()
    cell = styles["cell"]
    rows = [
        [_para(h, cell) for h in ("Bước", "Bên giao", "Bên nhận", "Nhận lúc", "Hạn", "Hoàn thành", "Kết quả")]
    ]
    for h in hand_overs:
        rows.append(
            [
                _para(h.step, cell),
                _para(h.giver or "Bộ phận tiếp nhận", cell),
                _para(h.receiver or "—", cell),
                _para(local(h.received_at), cell),
                _para(local(h.due_at), cell),
                _para(local(h.completed_at), cell),
                _para(RESULT_LABELS.get(h.result, h.result), cell),
            ]
        )
    table = Table(
        rows, repeatRows=1, colWidths=[30 * mm, 22 * mm, 22 * mm, 24 * mm, 24 * mm, 24 * mm, 18 * mm]
    )
    table.setStyle(
        TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    )
    body = _lines(
        [
            ("Mã hồ sơ", view.code),
            ("Thủ tục hành chính", view.procedure_name),
            ("Ngày hẹn trả kết quả", local(view.due_at)),
        ],
        styles,
    )
    return _build(
        _document(rules, "control_slip", view.agency_name, [*body, Spacer(1, 4 * mm), table], styles)
    )


def register(agency_name: str, rules: RuleSet, period: str, views: Sequence) -> bytes:
    """The dossier register (sổ theo dõi hồ sơ) of an agency over a period."""
    styles = _styles()
    cell = styles["cell"]
    head = (
        "STT",
        "Mã hồ sơ",
        "Thủ tục",
        "Người nộp",
        "Tiếp nhận",
        "Hẹn trả",
        "Có kết quả",
        "Trả kết quả",
        "Trạng thái",
    )
    rows = [[_para(h, cell) for h in head]]
    for n, v in enumerate(views, 1):
        rows.append(
            [
                _para(str(n), cell),
                _para(v.code, cell),
                _para(v.procedure_name, cell),
                _para(v.applicant_name, cell),
                _para(local(v.received_at), cell),
                _para(local(v.due_at), cell),
                _para(local(v.finished_at), cell),
                _para(local(v.returned_at), cell),
                _para(v.status_label, cell),
            ]
        )
    widths = [10 * mm, 50 * mm, 34 * mm, 29 * mm, 28 * mm, 28 * mm, 28 * mm, 28 * mm, 26 * mm]
    table = Table(rows, repeatRows=1, colWidths=widths)
    table.setStyle(
        TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    )
    story = _document(
        rules,
        "register",
        agency_name,
        [_para(f"Kỳ: {period}", styles["center"]), Spacer(1, 4 * mm), table],
        styles,
    )
    return _build(story, landscape(A4))


def result_document(view, verify_url: str, decision: dict[str, Any]) -> bytes:
    """The result (e.g. an extract of the birth registration), with a QR code to its verification page."""
    styles = _styles()
    title = (
        decision.get("result_title")
        or RESULT_TITLES.get(view.procedure_code or "")
        or f"KẾT QUẢ GIẢI QUYẾT THỦ TỤC: {view.procedure_name}"
    )
    fields = [(str(k), v) for k, v in (decision.get("result_fields") or {}).items()]
    body = _lines(
        [
            ("Mã hồ sơ", view.code),
            ("Người yêu cầu", view.applicant_name),
            ("Thủ tục hành chính", view.procedure_name),
            *fields,
            ("Ngày cấp", local(view.finished_at or decision.get("issued_at"), with_time=False)),
        ],
        styles,
    )
    story = [
        _header(view.agency_name, styles),
        Spacer(1, 8 * mm),
        _para(nfc(title).upper(), styles["title"]),
        Spacer(1, 6 * mm),
        *body,
        Spacer(1, 6 * mm),
        QrCode(verify_url),
        _para(f"Xác thực văn bản: {verify_url}", styles["small"]),
        _para(
            "Văn bản được ký số bởi cơ quan giải quyết; mọi thay đổi sẽ làm chữ ký mất hiệu lực.",
            styles["small"],
        ),
    ]
    return _build(story)
