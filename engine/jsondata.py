"""JSON for the data motcua stores: task data may hold dates, decimals and UUIDs."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from typing import Any


def json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: Any) -> str:
    return json.dumps(value, default=json_default, ensure_ascii=False)


def plain(value: Any) -> Any:
    """The value as it reads back from a JSON column."""
    return json.loads(dumps(value))
