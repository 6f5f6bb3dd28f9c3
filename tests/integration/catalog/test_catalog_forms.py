"""Server-side form validation through complete_task: per-field Vietnamese messages, nothing saved."""

from __future__ import annotations

import pytest

from engine import services
from engine.errors import InvalidInput

from .driver import AGENCY, form_example, model_files, submit_example


@pytest.fixture
def database_url(sqlite_url) -> str:
    return sqlite_url


def _open_intake(ctx, procedure: str, variant: str):
    services.deploy(ctx, model_files(procedure, variant))
    dossier = services.submit_dossier(
        ctx, f"{procedure}_{variant.replace('-', '_')}", AGENCY, submit_example(procedure)
    )
    return dossier, next(t for t in services.get_dossier(ctx, dossier.id).tasks if t.state == "open")


def test_bad_intake_data_is_refused_field_by_field_and_nothing_changes(ctx, officers):
    dossier, task = _open_intake(ctx, "building_permit", "as-is")
    data = dict(form_example(task.form))
    del data["applicant_full_name"]
    data |= {
        "applicant_id_number": "0010900",
        "floors": 12,
        "floor_area_m2": "lớn",
        "intake_decision": "maybe",
        "applicant_date_of_birth": "17/05/1990",
    }
    before = services.get_dossier(ctx, dossier.id)
    with pytest.raises(InvalidInput) as caught:
        services.complete_task(ctx, task.id, officers["intake"], data)
    assert caught.value.details["fields"] == {
        "applicant_full_name": "Họ và tên người yêu cầu: bắt buộc",
        "applicant_id_number": "Số định danh cá nhân người yêu cầu: phải gồm đúng 12 chữ số",
        "applicant_date_of_birth": "Ngày sinh người yêu cầu: phải là ngày hợp lệ (YYYY-MM-DD)",
        "floors": "Số tầng: phải nhỏ hơn hoặc bằng 7",
        "floor_area_m2": "Tổng diện tích sàn (m²): phải là số",
        "intake_decision": "Kết quả tiếp nhận: phải là một trong: Tiếp nhận hồ sơ, Từ chối tiếp nhận",
    }
    assert services.get_dossier(ctx, dossier.id) == before


def test_a_refusal_needs_its_reason(ctx, officers):
    _, task = _open_intake(ctx, "death_registration", "as-is")
    data = dict(form_example(task.form)) | {"intake_decision": "refuse"}
    with pytest.raises(InvalidInput) as caught:
        services.complete_task(ctx, task.id, officers["intake"], data)
    assert caught.value.details["fields"] == {"refusal_reason": "Lý do từ chối tiếp nhận: bắt buộc"}
    done = services.complete_task(
        ctx, task.id, officers["intake"], data | {"refusal_reason": "Sai thẩm quyền"}
    )
    assert done.dossier.run_state == "completed"


def test_registry_values_count_only_when_the_registry_had_them(ctx, officers, registry):
    registry.outcomes["001090012345"] = "not_found"  # no person comes back: nothing to pre-fill
    _, task = _open_intake(ctx, "criminal_record", "to-be")
    data = {k: v for k, v in form_example(task.form).items() if not k.startswith("applicant_")}
    with pytest.raises(InvalidInput) as caught:
        services.complete_task(ctx, task.id, officers["intake"], data)
    assert set(caught.value.details["fields"]) == {
        "applicant_full_name",
        "applicant_date_of_birth",
        "applicant_id_number",
    }


def test_the_task_form_comes_prefilled_from_the_registry(ctx, officers):
    from engine.services.catalog import task_form

    _, task = _open_intake(ctx, "marriage_registration", "to-be")
    form = task_form(ctx, task.id, officers["intake"])
    assert form.schema["title"] == "Tiếp nhận hồ sơ — Đăng ký kết hôn"
    assert form.from_registry == {
        "applicant_full_name",
        "applicant_date_of_birth",
        "applicant_id_number",
        "partner_full_name",
        "partner_date_of_birth",
        "partner_id_number",
    }
    assert form.values["partner_full_name"] == "Trần Thị Bình"
    paper = task_form(ctx, _open_intake(ctx, "marriage_registration", "as-is")[1].id, officers["intake"])
    assert paper.from_registry == frozenset() and "received_after_cutoff" in paper.schema["properties"]
