"""``motcua token create/list/revoke`` from the shell, and what the API then accepts."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from webui import create_app

MOTCUA = [sys.executable, "-m", "motcua.cli"]


def _motcua(env, *args: str, expect: int = 0) -> subprocess.CompletedProcess:
    done = subprocess.run([*MOTCUA, *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == expect, (
        f"motcua {' '.join(args)} -> {done.returncode}\n{done.stdout}\n{done.stderr}"
    )
    return done


@pytest.mark.slow
def test_an_administrator_creates_lists_and_revokes_tokens_from_the_shell(tmp_path, ctx, officers):
    env = {**os.environ, "MOTCUA_DATABASE_URL": ctx.settings.database_url, "MOTCUA_DATA_DIR": str(tmp_path)}
    client = create_app(ctx).test_client()

    created = _motcua(env, "token", "create", "thamdinh", "--name", "cổng dịch vụ công")
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("mct_")
    assert "shown only now" in created.stderr
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200

    listing = _motcua(env, "token", "list").stdout
    assert "thamdinh" in listing and "cổng dịch vụ công" in listing and "active" in listing
    assert secret not in listing and secret[:10] in listing
    token_id = created.stdout.split()[2]

    assert "revoked token" in _motcua(env, "token", "revoke", token_id).stdout
    assert "revoked" in _motcua(env, "token", "list", "--user", "thamdinh").stdout
    assert client.get("/api/v1/tasks", headers=headers).status_code == 401

    missing = _motcua(env, "token", "create", "nobody", expect=1)
    assert "nobody" in missing.stderr
    assert "999" in _motcua(env, "token", "revoke", "999", expect=1).stderr
