"""``motcua catalog`` from the shell, reading processes/ without a database."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from .conftest import PROCESSES

MOTCUA = [sys.executable, "-m", "motcua.cli"]


def motcua(tmp_path, *args: str, processes=PROCESSES) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "MOTCUA_DATA_DIR": str(tmp_path),
        "MOTCUA_DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}",
        "MOTCUA_PROCESSES_DIR": str(processes),
    }
    return subprocess.run([*MOTCUA, *args], env=env, capture_output=True, text=True, timeout=120)


def test_list_and_show(tmp_path):
    listed = motcua(tmp_path, "catalog", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    procedures = {p["code"]: p for p in json.loads(listed.stdout)}
    assert len(procedures) == 8
    assert procedures["building_permit"]["process_ids"] == ["building_permit_as_is", "building_permit_to_be"]
    shown = motcua(tmp_path, "catalog", "show", "birth_registration")
    assert shown.returncode == 0, shown.stderr
    assert "Đăng ký khai sinh (Birth registration)" in shown.stdout
    assert "quy tắc 15:00" in shown.stdout
    assert "[tra cứu: population.marital_status]" in shown.stdout
    missing = motcua(tmp_path, "catalog", "show", "no_such_procedure")
    assert missing.returncode == 1 and "no_such_procedure" in missing.stderr


def test_check_names_each_problem(tmp_path):
    catalog = tmp_path / "processes"
    shutil.copytree(PROCESSES / "criminal_record", catalog / "criminal_record")
    (catalog / "criminal_record" / "to-be.bpmn").unlink()
    manifest = catalog / "criminal_record" / "manifest.toml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace('unit = "working_days"', 'unit = "weeks"'),
        encoding="utf-8",
    )
    (catalog / "criminal_record" / "as-is.bpmn").write_text(
        (PROCESSES / "criminal_record" / "as-is.bpmn")
        .read_text(encoding="utf-8")
        .replace("criminal_record/approve.json", "criminal_record/no_form.json"),
        encoding="utf-8",
    )
    checked = motcua(tmp_path, "catalog", "check", processes=catalog)
    assert checked.returncode == 1
    assert "limit.unit: 'weeks' is not one of working_days, calendar_days, hours" in checked.stderr
    assert "the task approve names the form criminal_record/no_form.json, which is missing" in checked.stderr


def test_init_deploys_the_catalog_beside_manifests_and_names_a_model_it_cannot_deploy(tmp_path):
    catalog = tmp_path / "processes"
    for code in ("birth_registration", "building_permit"):
        (catalog / code).mkdir(parents=True)
        for name in ("manifest.toml", "as-is.bpmn"):
            shutil.copy(PROCESSES / code / name, catalog / code / name)
    broken = catalog / "building_permit" / "to-be.bpmn"
    broken.write_text(
        (PROCESSES / "building_permit" / "to-be.bpmn")
        .read_text(encoding="utf-8")
        .replace('id="population.lookup"', 'id="no.such.operator"'),
        encoding="utf-8",
    )
    done = motcua(tmp_path, "init", processes=catalog)
    assert done.returncode == 1
    assert "deployed   birth_registration/as-is" in done.stdout
    assert "deployed   building_permit/as-is" in done.stdout
    assert "rejected   building_permit/to-be" in done.stderr and "no.such.operator" in done.stderr
    assert "1 model(s) of the catalog were not deployed" in done.stderr
