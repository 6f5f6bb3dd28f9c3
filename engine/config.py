"""Settings for one motcua deployment. Read once, at the edge, and passed in."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    database_url: str
    data_dir: Path
    redis_url: str | None = None
    secret_key: str = "dev-only-secret-change-me"
    processes_dir: Path = PROJECT_ROOT / "processes"
    forms_dir: Path = PROJECT_ROOT / "forms"
    max_upload_bytes: int = 5 * 1024 * 1024
    spec_cache_size: int = 256
    workflow_cache_size: int = 2048
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from MOTCUA_* variables (and REDIS_URL); defaults give the embedded setup."""
        env = os.environ if env is None else env
        data_dir = Path(env.get("MOTCUA_DATA_DIR", str(PROJECT_ROOT / "var"))).resolve()
        database_url = env.get("MOTCUA_DATABASE_URL") or f"sqlite:///{data_dir / 'motcua.db'}"
        return cls(
            database_url=database_url,
            data_dir=data_dir,
            redis_url=env.get("MOTCUA_REDIS_URL") or env.get("REDIS_URL") or None,
            secret_key=env.get("MOTCUA_SECRET_KEY", cls.secret_key),
            processes_dir=Path(env.get("MOTCUA_PROCESSES_DIR", str(PROJECT_ROOT / "processes"))),
            forms_dir=Path(env.get("MOTCUA_FORMS_DIR", str(PROJECT_ROOT / "forms"))),
            max_upload_bytes=int(env.get("MOTCUA_MAX_UPLOAD_BYTES", cls.max_upload_bytes)),
            workflow_cache_size=int(env.get("MOTCUA_WORKFLOW_CACHE_SIZE", cls.workflow_cache_size)),
            extra={k: v for k, v in env.items() if k.startswith("MOTCUA_")},
        )
