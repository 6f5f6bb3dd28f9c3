"""``motcua dossier withdraw/apologize/forms/pay/result`` and ``motcua verify`` from a shell."""

from __future__ import annotations

import pytest

from tests.cli_support import motcua_env, run_motcua
from tests.conftest import AGENCY


@pytest.mark.slow
def test_lifecycle_commands_from_the_shell(tmp_path, sqlite_url):
    env = motcua_env(tmp_path, sqlite_url, [("lifecycle_test", "lifecycle_markers.bpmn")])

    def motcua(*args: str, expect: int = 0) -> str:
        done = run_motcua(env, *args, expect=expect)
        return done.stdout + done.stderr

    motcua("init", "--demo")
    motcua(
        "dossier",
        "submit",
        "lifecycle_test",
        "--agency",
        AGENCY,
        "--as",
        "tiepnhan",
        "--data",
        '{"applicant_name": "Phạm Văn Đức"}',
    )
    task = motcua("task", "list", "--as", "tiepnhan").splitlines()[2].split()[0]
    motcua("task", "complete", task, "--as", "tiepnhan", "--data", '{"decision": "accept"}')
    shown = motcua("dossier", "lifecycle", "1")
    assert f"{AGENCY}-" in shown and "status 4: Đang xử lý" in shown

    receipt = tmp_path / "receipt.pdf"
    motcua("dossier", "forms", "1", "--form", "receipt", "--out", str(receipt))
    assert receipt.read_bytes().startswith(b"%PDF")

    assert "paid at the counter" in motcua("dossier", "pay", "1", "--as", "tiepnhan")
    assert "không thu lần thứ hai" in motcua("dossier", "pay", "1", "--online", expect=1)

    apology = ("dossier", "apologize", "1", "--reason", "Chờ xác minh", "--new-date")
    assert "due moved" in motcua(*apology, "2099-01-05 16:00")
    assert "không được hẹn lại lần thứ hai" in motcua(*apology, "2099-01-06 16:00", expect=1)

    not_a_result = tmp_path / "not-signed.pdf"
    not_a_result.write_bytes(receipt.read_bytes())
    assert "INVALID" in motcua("verify", str(not_a_result), expect=1)
    assert "no result was issued" in motcua(
        "dossier", "result", "1", "--out", str(tmp_path / "r.pdf"), expect=1
    )

    assert "Công dân rút hồ sơ" in motcua("dossier", "withdraw", "1", "--reason", "Đổi ý", "--as", "tiepnhan")
