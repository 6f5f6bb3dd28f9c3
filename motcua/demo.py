"""A demo one-stop centre with one officer per role, for ``make demo``."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func, select

from engine import services
from engine.context import Context
from engine.errors import Conflict
from engine.roles import Role
from engine.services.population import seed_population
from engine.store.registry_tables import RegistryCitizen

DEMO_PASSWORD = "motcua-demo"
DEMO_CITIZENS = 2_000
DEMO_AGENCIES = [
    ("000.10.01.H26", "Trung tâm Phục vụ hành chính công phường Ba Đình", "Ba Dinh ward one-stop centre"),
    ("000.10.02.H26", "Trung tâm Phục vụ hành chính công phường Hoàn Kiếm", "Hoan Kiem ward one-stop centre"),
]
DEMO_OFFICERS = [
    ("tiepnhan", "Nguyễn Thị Lan", [Role.INTAKE_OFFICER]),
    ("thamdinh", "Trần Văn Minh", [Role.APPRAISER]),
    ("pheduyet", "Lê Quang Huy", [Role.APPROVER]),
    ("vanthu", "Phạm Thu Hà", [Role.CLERK]),
    ("giamsat", "Hoàng Đức Anh", [Role.SUPERVISOR]),
    ("motcua", "Vũ Ngọc Mai", [Role.INTAKE_OFFICER, Role.APPRAISER, Role.APPROVER, Role.CLERK]),
    ("thietke", "Đỗ Minh Tuấn", [Role.DESIGNER]),
    ("phantich", "Bùi Thanh Hương", [Role.REFORM_ANALYST]),
    ("quantri", "Ngô Văn Nam", [Role.ADMIN]),
]


def seed_demo(ctx: Context) -> Iterator[str]:
    """Create the demo agencies and officers if they do not exist yet; yields what it did."""
    for code, name, name_en in DEMO_AGENCIES:
        try:
            services.create_agency(ctx, code, name, name_en)
            yield f"agency     {code} {name}"
        except Conflict:
            pass
    main_agency = DEMO_AGENCIES[0][0]
    for username, full_name, roles in DEMO_OFFICERS:
        try:
            services.create_user(
                ctx, username, full_name, main_agency, [r.value for r in roles], DEMO_PASSWORD
            )
            yield f"officer    {username:10} {', '.join(roles)} (password {DEMO_PASSWORD})"
        except Conflict:
            pass
    with ctx.db.read() as s:
        registry_empty = not s.scalar(select(func.count()).select_from(RegistryCitizen))
    if registry_empty:
        seed_population(ctx, DEMO_CITIZENS)
        yield f"registry   {DEMO_CITIZENS:,} synthetic citizens (motcua registry seed --citizens N for more)"
