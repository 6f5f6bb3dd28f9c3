"""Rule sets of the one-stop mechanism, versioned by effective date.

A dossier follows the rule set in force on its reception date (ngày tiếp nhận), for its whole life:
a dossier received on 30 June 2025 keeps Decree 61/2018 (as amended by Decree 107/2021) and the
Circular 01/2018/TT-VPCP form numbering even when its result comes in July.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from .clock import VIETNAM

#: the forms the lifecycle produces, by motcua's own key
FORM_KEYS = ("receipt", "supplement", "refusal", "apology", "stop_notice", "control_slip", "register")


@dataclass(frozen=True)
class FormSpec:
    number: str  # "01", "02", ...
    title_vi: str
    title_en: str


@dataclass(frozen=True)
class RuleSet:
    """What the law in force says about reception, deadlines and forms."""

    code: str
    decree: str
    circular: str
    effective_from: date
    effective_to: date | None
    forms: dict[str, FormSpec] = field(default_factory=dict)
    apology_limit: int = 1  # the appointment may be moved only once
    apology_min_working_hours: float = 8  # the apology comes at least one working day before the due date
    incomplete_return_working_days: int = 3  # appraisal returns an incomplete dossier within 3 working days

    def form(self, key: str) -> FormSpec | None:
        return self.forms.get(key)

    def in_force_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day < self.effective_to)


_COMMON = {
    "receipt": FormSpec("01", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả", "Receipt and appointment slip"),
    "supplement": FormSpec(
        "02", "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ", "Request to supplement the dossier"
    ),
    "refusal": FormSpec("03", "Phiếu từ chối tiếp nhận giải quyết hồ sơ", "Refusal to receive the dossier"),
    "apology": FormSpec(
        "04", "Phiếu xin lỗi và hẹn lại ngày trả kết quả", "Apology and new appointment date"
    ),
}

DECREE_61 = RuleSet(
    code="nd61-2018",
    decree="Nghị định 61/2018/NĐ-CP (sửa đổi bởi Nghị định 107/2021/NĐ-CP)",
    circular="Thông tư 01/2018/TT-VPCP",
    effective_from=date(2018, 6, 21),
    effective_to=date(2025, 7, 1),
    forms={
        **_COMMON,
        "control_slip": FormSpec(
            "05", "Phiếu kiểm soát quá trình giải quyết hồ sơ", "Processing control slip"
        ),
        "register": FormSpec("06", "Sổ theo dõi hồ sơ", "Dossier register"),
    },
)

DECREE_118 = RuleSet(
    code="nd118-2025",
    decree="Nghị định 118/2025/NĐ-CP",
    circular="Thông tư 03/2025/TT-VPCP",
    effective_from=date(2025, 7, 1),
    effective_to=None,
    forms={
        **_COMMON,
        "stop_notice": FormSpec(
            "05", "Thông báo về việc dừng xử lý hồ sơ", "Notice that processing has stopped"
        ),
        "control_slip": FormSpec(
            "06", "Phiếu kiểm soát quá trình giải quyết hồ sơ", "Processing control slip"
        ),
        "register": FormSpec("07", "Sổ theo dõi hồ sơ", "Dossier register"),
    },
)

RULE_SETS: tuple[RuleSet, ...] = (DECREE_61, DECREE_118)


def rule_set_for(moment: date | datetime) -> RuleSet:
    """The rule set in force on a reception date (a datetime is read in Vietnam time)."""
    day = moment.astimezone(VIETNAM).date() if isinstance(moment, datetime) else moment
    for rules in RULE_SETS:
        if rules.in_force_on(day):
            return rules
    return RULE_SETS[0] if day < RULE_SETS[0].effective_from else RULE_SETS[-1]


def rule_set_by_code(code: str | None) -> RuleSet | None:
    return next((r for r in RULE_SETS if r.code == code), None)
