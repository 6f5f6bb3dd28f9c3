"""Every model module, imported so that ``Base.metadata`` knows all of motcua's tables.

The core tables live in :mod:`engine.store.models`; each feature keeps its own tables in a module of
its own and adds one import here (and one migration branch off ``0002_dossier_lifecycle``).
"""

from __future__ import annotations

from engine.store import (  # noqa: F401 - imported for their tables
    account_tables,
    lifecycle_tables,
    models,
    registry_tables,
    sla_tables,
    token_tables,
)
from engine.store.models import Base

metadata = Base.metadata
