"""``motcua registry`` from the shell: seed, agency keys, the audit as CSV, evidence and savings."""

from __future__ import annotations

import csv
import io
import json

import pytest

from engine import services
from tests.cli_support import motcua_env, run_motcua
from tests.conftest import AGENCY
from tests.population_helpers import alive, deploy_lookup_fixture, identity, person


@pytest.mark.slow  # one process per command: about 12 s on a quiet machine
def test_registry_commands(tmp_path, sqlite_url, make_context):
    env = motcua_env(tmp_path, sqlite_url)

    def motcua(*args: str, expect: int = 0) -> str:
        return run_motcua(env, *args, expect=expect).stdout

    motcua("agency", "create", AGENCY, "Trung tâm Phục vụ hành chính công phường Ba Đình")
    out = motcua("registry", "seed", "--citizens", "500", "--seed", "4")
    assert out.startswith("seeded 500 citizens in ")
    key = motcua("registry", "key", "create", AGENCY).strip()
    assert key.startswith("mcr_") and len(key) > 40
    listed = motcua("registry", "key", "list")
    assert AGENCY in listed and key[:12] in listed and key not in listed
    motcua("registry", "key", "create", "000.99.99.H99", expect=1)

    ctx = make_context(sqlite_url)
    intake = services.create_user(ctx, "tiepnhan", "Tiếp Nhận", AGENCY, ["intake_officer"])
    process = deploy_lookup_fixture(ctx)
    applicant = person(ctx, alive())
    dossier = services.submit_dossier(ctx, process, AGENCY, identity(applicant), intake)
    [task] = [t for t in services.get_dossier(ctx, dossier.id).tasks if t.state == "open"]
    services.complete_task(ctx, task.id, intake, {})

    exported = motcua("registry", "audit", "--csv")
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [(r["purpose"], r["outcome"], r["officer"], r["dossier_id"]) for r in rows] == [
        ("marital_status", "match", "tiepnhan", str(dossier.id)),
        ("lookup", "match", "tiepnhan", str(dossier.id)),
    ]
    assert applicant["applicant_id_number"] not in exported
    subject = motcua("registry", "audit", "--subject", applicant["applicant_id_number"])
    assert subject.count("marriage_registration") == 2
    assert "(none)" in motcua("registry", "audit", "--outcome", "refused")
    by_hand = motcua(
        "registry", "lookup", str(dossier.id), "residence", "--as", "tiepnhan",
        "--id-number", applicant["applicant_id_number"], "--name", applicant["applicant_name"],
        "--dob", applicant["applicant_date_of_birth"],
    )  # fmt: skip
    assert json.loads(by_hand)["status"] == "match"

    savings = motcua("registry", "savings").splitlines()
    assert savings[2].split() == ["marriage_registration", "1", "2", "3"]
    evidence = motcua("registry", "evidence", str(dossier.id))
    assert "marital_status_certificate" in evidence and "retrieved from the population registry" in evidence
