"""The national status, the dossier code and the appointment date move with the process."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.errors import Conflict, InvalidInput, PermissionDenied
from engine.services import dossiers as lifecycle
from tests import lifecycle_support
from tests.conftest import AGENCY
from tests.lifecycle_support import vn

world = lifecycle_support.world


def _statuses(view):
    return [c.status for c in view.statuses]


def test_acceptance_issues_the_code_and_the_appointment_date(world):
    first = world.submit()
    assert lifecycle.get_lifecycle(world.ctx, first.id).status is None  # at the counter, being received
    world.complete(first.id, "intake", decision="accept")
    view = lifecycle.get_lifecycle(world.ctx, first.id)
    assert view.code == f"{AGENCY}-251103-0001"
    assert view.status == 4 and _statuses(view) == [2, 4]
    assert view.received_at == vn(3, 9)
    assert view.due_at == vn(6, 9)  # 3 working days (limitAmount/limitUnit on the process)
    assert view.rule_set == "nd118-2025"
    assert [(c.kind, c.due_after) for c in view.clock] == [("start", vn(6, 9))]

    second = world.accepted()
    assert lifecycle.get_lifecycle(world.ctx, second).code == f"{AGENCY}-251103-0002"
    world.clock.set(vn(4, 0, 30))  # just after midnight in Vietnam (still the 3rd in UTC): a new day
    third = world.accepted()
    assert lifecycle.get_lifecycle(world.ctx, third).code == f"{AGENCY}-251104-0001"


def test_online_dossier_waits_for_reception_in_status_1(world):
    dossier = world.submit(channel="online")
    assert lifecycle.get_lifecycle(world.ctx, dossier.id).status == 1
    world.complete(dossier.id, "intake", decision="accept")
    assert _statuses(lifecycle.get_lifecycle(world.ctx, dossier.id)) == [1, 2, 4]


def test_refusal_at_reception_is_finished_with_its_reasons(world):
    dossier = world.submit()
    world.complete(dossier.id, "intake", decision="refuse", refusal_reasons=["Không thuộc thẩm quyền"])
    view = lifecycle.get_lifecycle(world.ctx, dossier.id)
    assert (view.status, view.code, view.reasons) == (3, None, ("Không thuộc thẩm quyền",))
    assert view.finished_at == vn(3, 9) and view.run_state == "completed"


@pytest.mark.parametrize(
    ("policy", "expected_due"),
    [
        # Mon 3 Nov 09:00 accepted, 3 working days -> Thu 6 Nov 09:00. Supplement requested Tue 4 Nov
        # 09:00 with 16 working hours left; documents back Mon 10 Nov 09:00.
        ("restart", vn(13, 9)),  # the full 3 working days again from Mon 10 Nov 09:00
        ("pause", vn(12, 9)),  # the 16 working hours that were left, from Mon 10 Nov 09:00
    ],
)
def test_supplement_restarts_or_pauses_the_clock_per_procedure(world, policy, expected_due):
    if policy == "pause":  # the manifest wins over the process's own property (restart)
        folder = world.processes_dir / "lifecycle_test"
        folder.mkdir()
        (folder / "manifest.toml").write_text(
            'code = "lifecycle_test"\nname_vi = "Thủ tục thử"\nname_en = "Test procedure"\n'
            'level = "commune"\nsupplement_policy = "pause"\ndocuments = []\nlegal_basis = []\n'
            '[limit]\namount = 3\nunit = "working_days"\n',
            encoding="utf-8",
        )
    dossier = world.accepted()
    world.clock.set(vn(4, 9))
    world.complete(
        dossier, "appraiser", appraisal="supplement", requested_documents=["Bản sao giấy chứng sinh"]
    )
    view = lifecycle.get_lifecycle(world.ctx, dossier)
    assert (view.status, view.clock_paused, view.requested_documents) == (
        5,
        True,
        ("Bản sao giấy chứng sinh",),
    )
    world.clock.set(vn(10, 9))
    world.complete(dossier, "intake")
    view = lifecycle.get_lifecycle(world.ctx, dossier)
    assert view.status == 4 and not view.clock_paused
    assert view.due_at == expected_due
    assert [(c.kind, c.policy) for c in view.clock] == [
        ("start", policy),
        ("pause", policy),
        ("restart" if policy == "restart" else "resume", policy),
    ]
    assert view.clock[1].remaining_hours == pytest.approx(16)
    assert view.clock[1].note == "supplement_requested"  # within 3 working days of reception


def test_apology_moves_the_appointment_once_and_refuses_a_second_time(world):
    dossier = world.accepted()
    world.clock.set(vn(4, 10))
    view = lifecycle.apologize(world.ctx, dossier, vn(10, 16), "Cần xác minh thêm với cơ quan khác")
    assert (view.due_at, view.original_due_at, view.apology_count) == (vn(10, 16), vn(6, 9), 1)
    with pytest.raises(Conflict, match="không được hẹn lại lần thứ hai"):
        lifecycle.apologize(world.ctx, dossier, vn(12, 16), "Lại chậm")
    assert lifecycle.get_lifecycle(world.ctx, dossier).due_at == vn(10, 16)
    assert [c.kind for c in lifecycle.get_lifecycle(world.ctx, dossier).clock] == ["start", "apology"]


def test_apology_comes_at_least_one_working_day_before_the_due_date(world):
    dossier = world.accepted()  # due Thu 6 Nov 09:00
    world.clock.set(vn(5, 10))  # Wed 10:00: 7 working hours left
    with pytest.raises(Conflict, match="chậm nhất 01 ngày làm việc"):
        lifecycle.apologize(world.ctx, dossier, vn(10, 16), "Chậm")
    world.clock.set(vn(4, 16))
    with pytest.raises(InvalidInput, match="Ngày hẹn mới phải sau"):
        lifecycle.apologize(world.ctx, dossier, vn(5, 16), "Chậm")
    assert lifecycle.get_lifecycle(world.ctx, dossier).apology_count == 0


def test_withdrawal_cancels_the_workflow_and_keeps_the_reason(world):
    dossier = world.accepted()
    view = lifecycle.withdraw(
        world.ctx, dossier, "Công dân xin rút để bổ sung giấy tờ", world.officers["intake"]
    )
    assert (view.status, view.run_state, view.closed_reason) == (
        7,
        "cancelled",
        "Công dân xin rút để bổ sung giấy tờ",
    )
    from engine import services

    assert [
        t for t in services.list_tasks(world.ctx, world.officers["appraiser"]) if t.dossier_id == dossier
    ] == []
    with pytest.raises(Conflict):
        lifecycle.withdraw(world.ctx, dossier, "lần hai")
    with pytest.raises(InvalidInput):
        lifecycle.withdraw(world.ctx, world.accepted(), "  ")


def test_stop_of_processing_needs_a_supervisor(world):
    dossier = world.accepted()
    with pytest.raises(PermissionDenied):
        lifecycle.stop_processing(world.ctx, dossier, "Người yêu cầu đã chết", world.officers["intake"])
    world.clock.advance(timedelta(hours=1))
    view = lifecycle.stop_processing(
        world.ctx, dossier, "Người yêu cầu đã chết", world.officers["supervisor"]
    )
    assert (view.status, view.run_state, view.finished_at) == (8, "cancelled", vn(3, 10))


def test_rejection_after_appraisal_is_a_result_with_reasons(world):
    dossier = world.accepted()
    world.clock.set(vn(4, 14))
    world.complete(dossier, "appraiser", appraisal="reject", rejection_reasons="Giấy tờ giả mạo")
    view = lifecycle.get_lifecycle(world.ctx, dossier)
    assert (view.status, view.finished_at, view.reasons) == (9, vn(4, 14), ("Giấy tờ giả mạo",))
    world.complete(dossier, "intake", return_channel="post")
    view = lifecycle.get_lifecycle(world.ctx, dossier)
    assert (view.status, view.returned_at, view.return_channel) == (10, vn(4, 14), "post")


def test_a_supplement_request_after_three_working_days_is_recorded_as_late(world):
    dossier = world.accepted()
    world.clock.set(vn(10, 9))  # five working days after reception
    world.complete(dossier, "appraiser", appraisal="supplement", requested_documents=["Tờ khai"])
    pause = lifecycle.get_lifecycle(world.ctx, dossier).clock[-1]
    assert (pause.kind, pause.note) == (
        "pause",
        "supplement_requested late: 5.0 working days after reception",
    )
