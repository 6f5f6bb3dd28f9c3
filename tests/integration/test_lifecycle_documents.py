"""The signed result verifies and any changed byte fails; the forms are PDFs whose Vietnamese text
extracts back exactly; the public pages show nothing personal and never a stack trace."""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader

from engine.services import dossiers as lifecycle
from engine.services import stamping
from tests import lifecycle_support
from tests.conftest import AGENCY
from tests.lifecycle_support import make_world, vn
from webui import create_app

world = lifecycle_support.world


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _through_stamping(world) -> int:
    dossier = world.accepted()
    world.clock.set(vn(4, 10))
    world.complete(dossier, "appraiser", appraisal="ok")
    world.complete(dossier, "approver")
    world.clock.set(vn(4, 15))
    world.complete(
        dossier,
        "clerk",
        result_fields={"Họ và tên trẻ": "Lê Minh Khôi", "Nơi sinh": "Bệnh viện Phụ sản Hà Nội"},
    )
    return dossier


def test_stamping_issues_a_signed_result_that_any_byte_change_breaks(world):
    dossier = _through_stamping(world)
    view = lifecycle.get_lifecycle(world.ctx, dossier)
    assert (view.status, view.finished_at) == (9, vn(4, 15))
    token, pdf = lifecycle.result_document(world.ctx, dossier)
    text = _text(pdf)
    assert "Lê Minh Khôi" in text and "Bệnh viện Phụ sản Hà Nội" in text and view.code in text
    assert f"/verify/{token}" in text

    check = stamping.verify_document(world.ctx, pdf)
    assert (check.valid, check.issued, check.dossier_code) == (True, True, view.code)
    for position in (len(pdf) // 2, len(pdf) - 200, 100):
        tampered = bytearray(pdf)
        tampered[position] ^= 0x01
        assert stamping.verify_document(world.ctx, bytes(tampered)).valid is False
    assert stamping.verify_document(world.ctx, pdf + b"%").valid is False

    world.clock.set(vn(5, 8))
    world.complete(dossier, "intake", return_channel="counter")
    view = lifecycle.get_lifecycle(world.ctx, dossier)
    assert (view.status, view.returned_at, view.return_channel) == (10, vn(5, 8), "counter")


def test_forms_carry_the_vietnamese_text_and_the_rule_set_numbering(world):
    dossier = world.accepted()
    receipt = _text(lifecycle.render_form(world.ctx, dossier, "receipt", officer="Trần Văn Bình"))
    code = lifecycle.get_lifecycle(world.ctx, dossier).code
    for expected in (
        "Mẫu số 01 — Thông tư 03/2025/TT-VPCP",
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        f"Mã hồ sơ: {code}",
        "Người nộp hồ sơ: Nguyễn Thị Ánh Tuyết",
        "Ngày hẹn trả kết quả: 09 giờ 00, ngày 06/11/2025",
        "Cán bộ tiếp nhận: Trần Văn Bình",
    ):
        assert expected in receipt
    world.clock.set(vn(4, 10))
    lifecycle.apologize(world.ctx, dossier, vn(10, 16), "Phải xác minh nơi cư trú")
    apology = _text(lifecycle.render_form(world.ctx, dossier, "apology"))
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in apology and "Phải xác minh nơi cư trú" in apology
    assert "Ngày hẹn trả kết quả mới: 16 giờ 00, ngày 10/11/2025" in apology
    assert "Ngày hẹn trả kết quả trước đây: 09 giờ 00, ngày 06/11/2025" in apology
    slip = " ".join(_text(lifecycle.render_form(world.ctx, dossier, "control_slip")).split())  # cells wrap
    assert "Mẫu số 06" in slip and "Tiếp nhận hồ sơ Bộ phận tiếp nhận Cán bộ tiepnhan" in slip
    assert "Đúng hạn" in slip and "Thẩm định hồ sơ" in slip and "Đang xử lý" in slip
    lifecycle.stop_processing(world.ctx, dossier, "Người yêu cầu đề nghị dừng", world.officers["supervisor"])
    notice = _text(lifecycle.render_form(world.ctx, dossier, "stop_notice"))
    assert "THÔNG BÁO VỀ VIỆC DỪNG XỬ LÝ HỒ SƠ" in notice and "Người yêu cầu đề nghị dừng" in notice
    register = " ".join(
        _text(lifecycle.render_register(world.ctx, AGENCY, date(2025, 11, 1), date(2025, 11, 30))).split()
    )
    assert "Mẫu số 07" in register and code in register and "Dừng xử lý" in register


def test_a_dossier_received_before_july_2025_keeps_the_2018_forms(database_url, tmp_path):
    old = make_world(database_url, tmp_path, start=vn(30, 16, month=6))
    try:
        dossier = old.accepted()
        view = lifecycle.get_lifecycle(old.ctx, dossier)
        assert view.rule_set == "nd61-2018"
        old.clock.set(vn(2, 9, month=7))  # processed under the new decree, still the old rules
        old.complete(dossier, "appraiser", appraisal="supplement", requested_documents=["Tờ khai"])
        supplement = _text(lifecycle.render_form(old.ctx, dossier, "supplement"))
        assert "Mẫu số 02 — Thông tư 01/2018/TT-VPCP" in supplement and "1. Tờ khai" in supplement
        assert "Mẫu số 05" in _text(lifecycle.render_form(old.ctx, dossier, "control_slip"))
        with pytest.raises(Exception, match="no such form"):
            lifecycle.render_form(old.ctx, dossier, "stop_notice")
    finally:
        old.ctx.db.dispose()


def test_public_lookup_shows_nothing_personal_and_unknown_codes_get_a_plain_404(world):
    dossier = _through_stamping(world)
    code = lifecycle.get_lifecycle(world.ctx, dossier).code
    client = create_app(world.ctx).test_client()
    page = client.get(f"/tra-cuu?code={code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert code in html and "Đã xử lý xong" in html and "Trả kết quả" in html and "09:00 06/11/2025" in html
    assert "Nguyễn Thị Ánh Tuyết" not in html and "Lê Minh Khôi" not in html
    for bad in (
        "000.10.01.H26-251103-9999",
        "<script>alert(1)</script>",
        "x" * 500,
        "'; DROP TABLE dossiers;--",
    ):
        response = client.get("/tra-cuu", query_string={"code": bad})
        assert response.status_code == 404
        assert "Không tìm thấy" in response.get_data(as_text=True)
        assert "Traceback" not in response.get_data(as_text=True)
    token, _ = lifecycle.result_document(world.ctx, dossier)
    verified = client.get(f"/verify/{token}").get_data(as_text=True)
    assert "Trung tâm Phục vụ hành chính công phường Ba Đình" in verified and code in verified
    assert client.get(f"/verify/{code}").status_code == 200
    assert client.get("/verify/no-such-token").status_code == 404


def test_stamping_with_the_wrong_installation_secret_completes_nothing(world):
    from dataclasses import replace

    from engine import services
    from engine.errors import ProcessError
    from motcua.bootstrap import bootstrap

    dossier = world.accepted()  # the agency's key is created here, under the installation's secret
    world.complete(dossier, "appraiser", appraisal="ok")
    world.complete(dossier, "approver")
    other = bootstrap(replace(world.ctx.settings, secret_key="a-different-secret"), clock=world.clock)
    try:
        task = world.task(dossier, "clerk")
        with pytest.raises(ProcessError, match="Không ký số được kết quả"):
            services.complete_task(other, task.id, world.officers["clerk"], {})
    finally:
        other.db.dispose()
    assert world.task(dossier, "clerk").state == "open"
    assert lifecycle.result_document(world.ctx, dossier) is None
    world.complete(dossier, "clerk")
    assert lifecycle.result_document(world.ctx, dossier) is not None
