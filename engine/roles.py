"""Officer roles and the five stages of "five at one place" (5 tại chỗ)."""

from __future__ import annotations

import enum
import re
import unicodedata


class Role(enum.StrEnum):
    """What an officer may do. Lanes in a BPMN model name one of these."""

    INTAKE_OFFICER = "intake_officer"  # cán bộ tiếp nhận
    APPRAISER = "appraiser"  # cán bộ thẩm định
    APPROVER = "approver"  # lãnh đạo phê duyệt
    CLERK = "clerk"  # văn thư (đóng dấu)
    SUPERVISOR = "supervisor"  # giám sát
    DESIGNER = "designer"  # thiết kế quy trình
    REFORM_ANALYST = "reform_analyst"  # phân tích cải cách
    ADMIN = "admin"


class Stage(enum.StrEnum):
    """The five stages a dossier goes through at the one-stop counter."""

    INTAKE = "intake"  # tiếp nhận
    APPRAISAL = "appraisal"  # thẩm định
    APPROVAL = "approval"  # phê duyệt
    STAMPING = "stamping"  # đóng dấu
    RETURN = "return"  # trả kết quả


ROLE_LABELS: dict[Role, tuple[str, str]] = {
    Role.INTAKE_OFFICER: ("Cán bộ tiếp nhận", "Intake officer"),
    Role.APPRAISER: ("Cán bộ thẩm định", "Appraiser"),
    Role.APPROVER: ("Lãnh đạo phê duyệt", "Approver"),
    Role.CLERK: ("Văn thư", "Clerk"),
    Role.SUPERVISOR: ("Giám sát", "Supervisor"),
    Role.DESIGNER: ("Thiết kế quy trình", "Process designer"),
    Role.REFORM_ANALYST: ("Phân tích cải cách", "Reform analyst"),
    Role.ADMIN: ("Quản trị", "Administrator"),
}

STAGE_LABELS: dict[Stage, tuple[str, str]] = {
    Stage.INTAKE: ("Tiếp nhận", "Intake"),
    Stage.APPRAISAL: ("Thẩm định", "Appraisal"),
    Stage.APPROVAL: ("Phê duyệt", "Approval"),
    Stage.STAMPING: ("Đóng dấu", "Stamping"),
    Stage.RETURN: ("Trả kết quả", "Return"),
}


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


_ROLE_ALIASES: dict[str, Role] = {}
for _role, (_vi, _en) in ROLE_LABELS.items():
    for _alias in (_role.value, _vi, _en):
        _ROLE_ALIASES[_slug(_alias)] = _role


def role_for_lane(lane_name: str | None) -> Role | None:
    """The role a lane stands for: its name is a role code or a role's Vietnamese or English label."""
    if not lane_name:
        return None
    return _ROLE_ALIASES.get(_slug(lane_name))
