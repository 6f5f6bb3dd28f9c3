"""The ``motcua`` command as a user runs it: a new process per command, against a test database."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

MOTCUA = [sys.executable, "-m", "motcua.cli"]
FIXTURES = Path(__file__).parent / "fixtures"


def motcua_env(
    tmp_path: Path, database_url: str, catalog: Iterable[tuple[str, str]] = (), **extra: str
) -> dict[str, str]:
    """Environment for commands on ``database_url``; ``catalog`` lays out (folder, fixture model) pairs
    as the procedure catalog's to-be models."""
    env = {**os.environ, "MOTCUA_DATABASE_URL": database_url, "MOTCUA_DATA_DIR": str(tmp_path), **extra}
    catalog = list(catalog)
    if catalog:
        processes = tmp_path / "processes"
        for folder, model in catalog:
            (processes / folder).mkdir(parents=True, exist_ok=True)
            shutil.copy(FIXTURES / "bpmn" / model, processes / folder / "to-be.bpmn")
        env["MOTCUA_PROCESSES_DIR"] = str(processes)
    return env


def run_motcua(env: dict[str, str], *args: str, expect: int = 0) -> subprocess.CompletedProcess:
    """Run one command; fails the test, showing its output, unless it exits with ``expect``."""
    done = subprocess.run([*MOTCUA, *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == expect, (
        f"motcua {' '.join(args)} -> {done.returncode}\n{done.stdout}\n{done.stderr}"
    )
    return done
