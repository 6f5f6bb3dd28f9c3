"""Account use cases on SQLite and PostgreSQL: role changes, deactivation, and a reset lifting a lock."""

from __future__ import annotations

import pytest

from engine import services
from engine.errors import InvalidInput, PermissionDenied
from engine.services.accounts import MAX_FAILURES, AccountLocked, sign_in, update_user
from tests.conftest import AGENCY


def test_an_administrator_changes_roles_and_a_reset_lifts_the_lock(ctx, officers):
    admin = services.create_user(ctx, "quantri", "Quản Trị", AGENCY, ["admin"])
    for _ in range(MAX_FAILURES):
        assert sign_in(ctx, "thamdinh", "sai") is None
    with pytest.raises(AccountLocked):
        sign_in(ctx, "thamdinh", "bất kỳ")
    changed = update_user(ctx, "thamdinh", ["approver", "appraiser"], True, admin, password="mat-khau-moi")
    assert changed.roles == ("appraiser", "approver")
    assert sign_in(ctx, "thamdinh", "mat-khau-moi").roles == ("appraiser", "approver")
    update_user(ctx, "thamdinh", ["approver"], False, admin)
    assert services.get_user(ctx, "thamdinh").roles == ("approver",)
    assert sign_in(ctx, "thamdinh", "mat-khau-moi") is None  # deactivated


def test_only_administrators_edit_accounts_and_never_their_own_admin_role(ctx, officers):
    admin = services.create_user(ctx, "quantri", "Quản Trị", AGENCY, ["admin"])
    with pytest.raises(PermissionDenied):
        update_user(ctx, "thamdinh", ["admin"], True, officers["supervisor"])
    with pytest.raises(InvalidInput) as caught:
        update_user(ctx, "quantri", ["designer"], True, admin)
    assert "roles" in caught.value.details["fields"]
    with pytest.raises(InvalidInput):
        update_user(ctx, "thamdinh", ["no_such_role"], True, admin)
    assert services.get_user(ctx, "quantri").roles == ("admin",)
