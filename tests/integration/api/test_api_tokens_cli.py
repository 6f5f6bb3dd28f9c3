"""``motcua token create/list/revoke`` from the shell, and what the API then accepts."""

from __future__ import annotations

import pytest

from tests.cli_support import motcua_env, run_motcua
from webui import create_app


@pytest.mark.slow
def test_an_administrator_creates_lists_and_revokes_tokens_from_the_shell(tmp_path, ctx, officers):
    env = motcua_env(tmp_path, ctx.settings.database_url)
    client = create_app(ctx).test_client()

    created = run_motcua(env, "token", "create", "thamdinh", "--name", "cổng dịch vụ công")
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("mct_")
    assert "shown only now" in created.stderr
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200

    listing = run_motcua(env, "token", "list").stdout
    assert "thamdinh" in listing and "cổng dịch vụ công" in listing and "active" in listing
    assert secret not in listing and secret[:10] in listing
    token_id = created.stdout.split()[2]

    assert "revoked token" in run_motcua(env, "token", "revoke", token_id).stdout
    assert "revoked" in run_motcua(env, "token", "list", "--user", "thamdinh").stdout
    assert client.get("/api/v1/tasks", headers=headers).status_code == 401

    missing = run_motcua(env, "token", "create", "nobody", expect=1)
    assert "nobody" in missing.stderr
    assert "999" in run_motcua(env, "token", "revoke", "999", expect=1).stderr
