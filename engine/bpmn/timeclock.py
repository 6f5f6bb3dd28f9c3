"""The time SpiffWorkflow's timer events see.

SpiffWorkflow's timer definitions read ``datetime.now(timezone.utc)`` directly. motcua swaps that one
module's ``datetime`` for a subclass whose ``now`` asks the clock of the current run, so a run can use
a virtual clock (tests, the conformance runner, the simulator) while every other run keeps the wall
clock. Nothing else in SpiffWorkflow is touched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer

_run_clock: ContextVar[Callable[[], datetime] | None] = ContextVar("motcua_run_clock", default=None)


class _RunClockDatetime(datetime):
    @classmethod
    def now(cls, tz=None):
        clock = _run_clock.get()
        if clock is None:
            return super().now(tz)
        value = clock()
        return cls.fromtimestamp(value.timestamp(), tz)


_spiff_timer.datetime = _RunClockDatetime


@contextmanager
def run_clock(now: Callable[[], datetime] | None) -> Iterator[None]:
    """Timers evaluated inside this block see ``now()`` as the current time (aware, UTC)."""
    token = _run_clock.set(now)
    try:
        yield
    finally:
        _run_clock.reset(token)
