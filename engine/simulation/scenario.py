"""Scenario: the simulation parameters for one procedure, documented in docs/simulation.md.

A scenario is keyed so that one file fits both the as-is and the to-be model of a procedure: a task's
duration is looked up by task id, then task name, then the task's ``stage`` property, then its role
(lane), then its type; the first match wins. Citizen-side costs are looked up the same way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from engine.calendar import TimeLimit, WeekdayCalendar, WorkCalendar, WorkingHours
from engine.clock import VIETNAM

from .distributions import Distribution, SimulationInputError, parse_distribution

AUTOMATIC_TYPES = ("script", "service", "business_rule", "send", "receive")
DEFAULT_START = datetime(2026, 1, 5, tzinfo=VIETNAM)  # a Monday


class AlwaysOpen:
    """A calendar with no closing time (24/7), e.g. for queueing checks or an online channel."""

    hours = WorkingHours(((time(0, 0), time(23, 59, 59, 999999)),))

    def is_working_day(self, day: date) -> bool:
        return True


class TableCalendar(WeekdayCalendar):
    """A centre's calendar from the scenario: daily periods, holidays and swapped working days."""

    def __init__(
        self, hours: WorkingHours, holidays: set[date], working_days: set[date], weekdays: set[int]
    ) -> None:
        super().__init__(hours)
        self.holidays = holidays
        self.working_days = working_days
        self.weekdays = weekdays

    def is_working_day(self, day: date) -> bool:
        if day in self.working_days:
            return True
        if day in self.holidays:
            return False
        return day.weekday() in self.weekdays


@dataclass
class Resource:
    role: str
    count: int
    cost_per_hour: float
    calendar: str


@dataclass
class CitizenStep:
    trips: float = 0.0
    hours: float = 0.0
    copies: float = 0.0
    travel_cost_vnd: float | None = None  # per trip; defaults to the scenario's
    fees_vnd: float = 0.0
    other_cost_vnd: float = 0.0


@dataclass
class Citizen:
    hourly_income_vnd: float = 0.0
    travel_cost_vnd: float = 0.0  # per trip
    copy_cost_vnd: float = 0.0  # per paper copy
    annual_applicants: float = 0.0
    per_case: CitizenStep = field(default_factory=CitizenStep)
    steps: dict[str, CitizenStep] = field(default_factory=dict)

    def cost(self, trips: float, hours: float, copies: float, travel: float, fees: float) -> float:
        return hours * self.hourly_income_vnd + fees + travel + copies * self.copy_cost_vnd


@dataclass
class EventTrigger:
    """When a message/signal/conditional event happens, counted from when it starts waiting."""

    delay: Distribution | None
    probability: float = 1.0  # chance that it happens at all


@dataclass
class Scenario:
    name: str = "scenario"
    start: datetime = DEFAULT_START
    cases: int = 1000
    replications: int = 5
    warmup_cases: int = 0
    seed: int = 1
    interarrival: Distribution | None = None
    arrival_calendar: str = "always"
    default_calendar: str = "weekday"
    calendars: dict[str, WorkCalendar] = field(default_factory=dict)
    limit: TimeLimit | None = None
    resources: dict[str, Resource] = field(default_factory=dict)
    durations: dict[str, dict[str, Distribution]] = field(default_factory=dict)
    default_duration: Distribution | None = None
    assign: dict[str, str] = field(default_factory=dict)
    branches: dict[str, dict[str, float]] = field(default_factory=dict)
    data: dict[str, tuple[list[Any], list[float]]] | None = None
    redraw: dict[str, list[str]] = field(default_factory=dict)  # variable -> tasks that redraw it
    arrival_flags: dict[str, float] = field(default_factory=dict)  # variable -> local time of day (s)
    operators: dict[str, tuple[list[Any], list[float]]] = field(default_factory=dict)
    events: dict[str, EventTrigger] = field(default_factory=dict)
    multi_instance: dict[str, Distribution] = field(default_factory=dict)
    citizen: Citizen = field(default_factory=Citizen)
    warnings: list[str] = field(default_factory=list)
    source: dict[str, Any] = field(default_factory=dict)

    def calendar(self, name: str) -> WorkCalendar:
        try:
            return self.calendars[name]
        except KeyError:
            raise SimulationInputError(
                f"Lịch '{name}' chưa được khai báo / calendar '{name}' is not defined "
                f"(known: {', '.join(sorted(self.calendars))})."
            ) from None

    def duration_for(
        self, bpmn_id: str, name: str | None, stage: str | None, role: str | None, task_type: str
    ) -> Distribution | None:
        d = self.durations
        for table, key in (
            ("tasks", bpmn_id),
            ("tasks", name),
            ("stages", stage),
            ("roles", role),
            ("types", task_type),
        ):
            if key is not None and key in d.get(table, {}):
                return d[table][key]
        return self.default_duration

    def citizen_step(self, bpmn_id: str, name: str | None, stage: str | None) -> CitizenStep | None:
        steps = self.citizen.steps
        for key in (bpmn_id, name, f"stage:{stage}" if stage else None, stage):
            if key is not None and key in steps:
                return steps[key]
        return None


def _choice(spec: Any, where: str) -> tuple[list[Any], list[float]]:
    """A discrete draw: ``{"values": [...], "weights": [...]}`` or one constant value."""
    if isinstance(spec, Mapping) and "values" in spec:
        values = list(spec["values"])
        weights = [float(w) for w in spec.get("weights") or [1.0] * len(values)]
        if not values or len(weights) != len(values) or sum(weights) <= 0 or min(weights) < 0:
            raise SimulationInputError(f"{where}: 'values' and matching non-negative 'weights'.")
        total = sum(weights)
        return values, [w / total for w in weights]
    return [spec], [1.0]


def _dist_table(raw: Any, where: str) -> dict[str, Distribution]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise SimulationInputError(f"'{where}' must be an object.")
    return {str(k): parse_distribution(v, f"{where}.{k}") for k, v in raw.items()}


def _calendar(raw: Any, where: str) -> WorkCalendar:
    if not isinstance(raw, Mapping):
        raise SimulationInputError(f"'{where}' must be an object.")
    periods = []
    for pair in raw.get("periods") or [["07:30", "11:30"], ["13:00", "17:00"]]:
        try:
            a, b = (time.fromisoformat(x) for x in pair)
        except (TypeError, ValueError):
            raise SimulationInputError(f"{where}.periods: use [['07:30', '11:30'], ...].") from None
        if b <= a:
            raise SimulationInputError(f"{where}.periods: {pair} ends before it starts.")
        periods.append((a, b))
    try:
        holidays = {date.fromisoformat(d) for d in raw.get("holidays") or []}
        working = {date.fromisoformat(d) for d in raw.get("working_days") or []}
    except (TypeError, ValueError):
        raise SimulationInputError(f"{where}: holidays and working_days are ISO dates.") from None
    weekdays = set(raw.get("weekdays") or [0, 1, 2, 3, 4])
    return TableCalendar(WorkingHours(tuple(periods)), holidays, working, weekdays)


def _citizen_step(raw: Any, where: str) -> CitizenStep:
    if not isinstance(raw, Mapping):
        raise SimulationInputError(f"'{where}' must be an object.")
    known = set(CitizenStep.__dataclass_fields__)
    unknown = set(raw) - known
    if unknown:
        raise SimulationInputError(f"{where}: unknown keys {sorted(unknown)}; known: {sorted(known)}.")
    try:
        return CitizenStep(**{k: (float(v) if v is not None else None) for k, v in raw.items()})
    except (TypeError, ValueError):
        raise SimulationInputError(f"{where}: values must be numbers.") from None


KNOWN_KEYS = {
    "name", "description", "sources", "start", "cases", "replications", "warmup_cases", "seed",
    "arrivals", "default_calendar", "calendars", "limit", "resources", "durations", "assign",
    "branches", "data", "operators", "events", "multi_instance", "citizen",
}  # fmt: skip


def load_scenario(raw: Mapping[str, Any] | str | Path, calendar: WorkCalendar | None = None) -> Scenario:
    """Parse a scenario (a dict, JSON text or a path). ``calendar`` is the project's calendar
    (``ctx.calendar``), available as the calendar named ``project``."""
    if isinstance(raw, Path) or (isinstance(raw, str) and not raw.lstrip().startswith("{")):
        raw = json.loads(Path(raw).read_text(encoding="utf-8"))
    elif isinstance(raw, str):
        raw = json.loads(raw)
    if not isinstance(raw, Mapping):
        raise SimulationInputError("A scenario is a JSON object.")
    if "resource_profiles" in raw or "task_resource_distribution" in raw:
        raise SimulationInputError(
            "This looks like Prosimos parameters; load them with load_prosimos (motcua simulate --prosimos)."
        )
    unknown = set(raw) - KNOWN_KEYS
    if unknown:
        raise SimulationInputError(f"Unknown scenario keys: {sorted(unknown)}.")
    sc = Scenario(source=dict(raw))
    sc.name = str(raw.get("name", "scenario"))
    if "start" in raw:
        try:
            start = datetime.fromisoformat(raw["start"])
        except (TypeError, ValueError):
            raise SimulationInputError("'start' must be an ISO date-time.") from None
        sc.start = start if start.tzinfo else start.replace(tzinfo=VIETNAM)
    for key in ("cases", "replications", "warmup_cases", "seed"):
        if key in raw:
            try:
                setattr(sc, key, int(raw[key]))
            except (TypeError, ValueError):
                raise SimulationInputError(f"'{key}' must be an integer.") from None
    sc.calendars = {
        "always": AlwaysOpen(),
        "weekday": WeekdayCalendar(),
        "project": calendar or WeekdayCalendar(),
    }
    for name, cal in (raw.get("calendars") or {}).items():
        if name in sc.calendars:
            raise SimulationInputError(
                f"calendars.{name}: '{name}' is a built-in calendar; choose another name."
            )
        sc.calendars[str(name)] = _calendar(cal, f"calendars.{name}")
    sc.default_calendar = str(raw.get("default_calendar", "project"))
    sc.calendar(sc.default_calendar)

    arrivals = raw.get("arrivals") or {}
    sc.arrival_calendar = str(arrivals.get("calendar", sc.default_calendar))
    sc.calendar(sc.arrival_calendar)
    if "interarrival" in arrivals:
        sc.interarrival = parse_distribution(arrivals["interarrival"], "arrivals.interarrival")
    elif "per_day" in arrivals:
        per_day = float(arrivals["per_day"])
        if per_day <= 0:
            raise SimulationInputError("arrivals.per_day must be > 0.")
        from .timetable import Timetable

        hours = (
            24.0
            if sc.arrival_calendar == "always"
            else Timetable(sc.calendar(sc.arrival_calendar), sc.start.date()).hours_per_day
        )
        sc.interarrival = parse_distribution(
            {"type": "exponential", "mean": hours * 3600 / per_day, "unit": "seconds"}, "arrivals.per_day"
        )
    else:
        raise SimulationInputError("The scenario needs 'arrivals' with 'interarrival' or 'per_day'.")

    if raw.get("limit"):
        lim = raw["limit"]
        try:
            sc.limit = TimeLimit(float(lim["amount"]), lim.get("unit", "working_days"))
        except (KeyError, TypeError, ValueError) as exc:
            raise SimulationInputError(f"'limit' needs amount and unit: {exc}") from None

    for role, spec in (raw.get("resources") or {}).items():
        if isinstance(spec, int):
            spec = {"count": spec}
        try:
            count = int(spec.get("count", 1))
            cost = float(spec.get("cost_per_hour", 0))
        except (TypeError, ValueError, AttributeError):
            raise SimulationInputError(f"resources.{role}: count and cost_per_hour are numbers.") from None
        if count < 1:
            raise SimulationInputError(f"resources.{role}: count must be at least 1.")
        cal = str(spec.get("calendar", sc.default_calendar))
        sc.calendar(cal)
        sc.resources[str(role)] = Resource(str(role), count, cost, cal)

    durations = raw.get("durations") or {}
    for table in ("tasks", "stages", "roles", "types"):
        sc.durations[table] = _dist_table(durations.get(table), f"durations.{table}")
    if durations.get("default") is not None:
        sc.default_duration = parse_distribution(durations["default"], "durations.default")
    sc.assign = {str(k): str(v) for k, v in (raw.get("assign") or {}).items()}

    for gw, probs in (raw.get("branches") or {}).items():
        if not isinstance(probs, Mapping) or not probs:
            raise SimulationInputError(f"branches.{gw} maps flow ids (or target ids) to probabilities.")
        clean = {str(k): float(v) for k, v in probs.items()}
        if any(v < 0 for v in clean.values()):
            raise SimulationInputError(f"branches.{gw}: probabilities cannot be negative.")
        sc.branches[str(gw)] = clean

    if raw.get("data") is not None or raw.get("operators") is not None:
        sc.data = {}
        for var, spec in (raw.get("data") or {}).items():
            if isinstance(spec, Mapping) and "arrival_after" in spec:
                try:
                    cutoff = time.fromisoformat(str(spec["arrival_after"]))
                except ValueError:
                    raise SimulationInputError(f"data.{var}.arrival_after: a time such as '15:00'.") from None
                sc.arrival_flags[str(var)] = cutoff.hour * 3600 + cutoff.minute * 60 + cutoff.second
                continue
            sc.data[str(var)] = _choice(spec, f"data.{var}")
            if isinstance(spec, Mapping) and spec.get("redraw_after"):
                keys = spec["redraw_after"]
                keys = [keys] if isinstance(keys, str) else list(keys)
                sc.redraw[str(var)] = [str(k) for k in keys]
        for op, spec in (raw.get("operators") or {}).items():
            sc.operators[str(op)] = _choice(spec, f"operators.{op}")

    for ev, spec in (raw.get("events") or {}).items():
        if not isinstance(spec, Mapping):
            spec = {"delay": spec}
        delay = parse_distribution(spec["delay"], f"events.{ev}.delay") if "delay" in spec else None
        p = float(spec.get("probability", 1.0))
        if not 0 <= p <= 1:
            raise SimulationInputError(f"events.{ev}.probability must be between 0 and 1.")
        sc.events[str(ev)] = EventTrigger(delay, p)
    for mi, spec in (raw.get("multi_instance") or {}).items():
        sc.multi_instance[str(mi)] = parse_distribution(spec, f"multi_instance.{mi}", default_unit="seconds")

    cit = raw.get("citizen") or {}
    sc.citizen = Citizen(
        hourly_income_vnd=float(cit.get("hourly_income_vnd", 0)),
        travel_cost_vnd=float(cit.get("travel_cost_vnd", 0)),
        copy_cost_vnd=float(cit.get("copy_cost_vnd", 0)),
        annual_applicants=float(cit.get("annual_applicants", 0)),
        per_case=_citizen_step(cit.get("per_case") or {}, "citizen.per_case"),
        steps={str(k): _citizen_step(v, f"citizen.steps.{k}") for k, v in (cit.get("steps") or {}).items()},
    )
    return sc


def origin_of(sc: Scenario) -> tuple[date, float]:
    """The simulation origin (midnight, Vietnam time, of the start date) and the first arrival offset."""
    local = sc.start.astimezone(VIETNAM)
    midnight = datetime.combine(local.date(), time.min, VIETNAM)
    return local.date(), (local - midnight) / timedelta(seconds=1)
