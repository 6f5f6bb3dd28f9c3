"""Reform analyst pages: the place where as-is / to-be simulations are run and compared.

The simulation engine comes from ``engine.services.simulation`` when it is installed; it is looked
up at request time so that this page works (and says so) without it."""

from __future__ import annotations

import importlib

from flask import Blueprint, render_template

from engine import services
from engine.roles import Role

from .auth import app_context, current_user, require_roles

bp = Blueprint("analyst", __name__, url_prefix="/analyst")


def simulation_available() -> bool:
    try:
        module = importlib.import_module("engine.services.simulation")
    except ImportError:
        return False
    return hasattr(module, "run_simulation")


@bp.get("/")
@require_roles(Role.REFORM_ANALYST, Role.ADMIN)
def index():
    return render_template(
        "analyst/index.html",
        processes=services.list_processes(app_context()),
        simulation=simulation_available(),
        user=current_user(),
    )
