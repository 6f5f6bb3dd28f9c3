"""From the parsed BPMN (SpiffWorkflow's specs, as the runtime executes them) to a simulation plan.

The plan is a flat list of nodes with integer successors, so the simulator walks the graph without
running SpiffWorkflow per case. Every element is either simulated faithfully or refused with a message
naming it: nothing is silently simplified.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from engine.bpmn.model import ProcessModel, task_properties
from engine.bpmn.sandbox import SandboxPolicy, compile_source
from engine.roles import role_for_lane

from .distributions import Distribution, SimulationInputError, parse_distribution
from .scenario import AUTOMATIC_TYPES, CitizenStep, Scenario

# node kinds
PASS, TASK, XOR, AND, OR, EVENTGW, CATCH, END, TERMINATE, SUB, MI = range(11)
KIND_NAMES = ["pass", "task", "xor", "and", "or", "event_gateway", "catch", "end", "terminate", "sub", "mi"]

TASK_TYPES = {
    "UserTask": "user",
    "ManualTask": "manual",
    "NoneTask": "none",
    "ScriptTask": "script",
    "ServiceTask": "service",
    "BusinessRuleTask": "business_rule",
    "SendTask": "send",
    "ReceiveTask": "receive",
}
_STRUCTURAL = {"BpmnStartTask", "_EndJoin", "SimpleBpmnTask", "BoundaryEventJoin"}


@dataclass
class Boundary:
    bpmn_id: str
    interrupting: bool
    delay: Distribution | None  # None: never happens (probability handled by p_happen)
    p_happen: float
    repeats: int  # timer cycles: how many times (>= 1); -1 = while the activity lasts
    succ: list[int] = field(default_factory=list)
    stream: str = ""


@dataclass
class Node:
    idx: int
    kind: int
    bpmn_id: str
    name: str
    task_type: str = ""
    stage: str | None = None
    role: str | None = None
    pool: int = -1
    duration: Distribution | None = None
    succ: list[int] = field(default_factory=list)
    n_in: int = 1
    boundaries: list[Boundary] = field(default_factory=list)
    # gateways
    probs: list[float] | None = None  # XOR: cumulative; OR: per flow
    conds: list[tuple[Any, int]] | None = None  # (compiled code or None, target)
    default: int = -1
    or_join: int = -1
    # events
    delay: Distribution | None = None
    p_happen: float = 1.0
    race: list[int] = field(default_factory=list)  # event gateway: catch nodes
    # sub-processes and multi-instance
    child: list[int] = field(default_factory=list)
    inner: int = -1
    sequential: bool = False
    count: Distribution | None = None
    script: Any = None
    operator: tuple[str, str] | None = None  # service task: (operator, result variable) in data mode
    redraw: list[str] = field(default_factory=list)  # data variables drawn again when the task runs
    citizen: CitizenStep | None = None
    step: bool = False  # counted as a step in the per-step KPIs
    scope_path: str = ""


@dataclass
class Plan:
    process_id: str
    nodes: list[Node]
    starts: list[int]
    pools: list[str]
    needs_cancel: bool
    uses_data: bool
    warnings: list[str]

    def steps(self) -> list[Node]:
        return [n for n in self.nodes if n.step]


def _mro(obj: Any) -> set[str]:
    return {c.__name__ for c in type(obj).__mro__}


def _event_kind(ts: Any) -> str:
    ed = getattr(ts, "event_definition", None)
    return type(ed).__name__ if ed is not None else "NoneEventDefinition"


_ISO = re.compile(
    r"^P(?:(?P<y>\d+(?:\.\d+)?)Y)?(?:(?P<mo>\d+(?:\.\d+)?)M)?(?:(?P<w>\d+(?:\.\d+)?)W)?(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<mi>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def iso_duration_seconds(text: str) -> float | None:
    """An ISO 8601 duration in seconds (a year is 365 days, a month 30), or None if it is not one."""
    m = _ISO.match(text.strip())
    if not m or text.strip() in ("P", "PT"):
        return None
    f = {k: float(v) if v else 0.0 for k, v in m.groupdict().items()}
    days = f["y"] * 365 + f["mo"] * 30 + f["w"] * 7 + f["d"]
    return days * 86400 + f["h"] * 3600 + f["mi"] * 60 + f["s"]


def _literal(expression: str | None) -> str | None:
    if not expression:
        return None
    text = expression.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


class _Builder:
    def __init__(self, model: ProcessModel, scenario: Scenario) -> None:
        self.model = model
        self.sc = scenario
        self.nodes: list[Node] = []
        self.pools: list[str] = []
        self.warnings: list[str] = []
        self.needs_cancel = False
        self.uses_data = scenario.data is not None
        self.missing_durations: list[str] = []
        self.missing_roles: list[str] = []
        self.policy = SandboxPolicy()

    # --- helpers ---------------------------------------------------------------------------
    def refuse(self, ts: Any, what: str) -> SimulationInputError:
        bid = getattr(ts, "bpmn_id", None) or getattr(ts, "name", "?")
        return SimulationInputError(
            f"Không mô phỏng được phần tử '{bid}': {what} / element '{bid}' cannot be simulated: {what}",
            fields={bid: what},
        )

    def pool_index(self, role: str) -> int:
        if role not in self.pools:
            self.pools.append(role)
        return self.pools.index(role)

    def trigger(self, ts: Any, keys: list[str], what: str) -> tuple[Distribution | None, float]:
        for key in keys:
            if key and key in self.sc.events:
                ev = self.sc.events[key]
                if ev.delay is None and ev.probability > 0:
                    raise self.refuse(ts, f"events.{key} needs a 'delay'")
                return ev.delay, ev.probability
        raise SimulationInputError(
            f"Sự kiện '{keys[0]}' ({what}) cần thời gian chờ trong kịch bản / the {what} '{keys[0]}' needs "
            f'a delay in the scenario: "events": {{"{keys[0]}": {{"delay": ..., "probability": 1}}}}.',
            fields={keys[0]: "missing delay"},
        )

    def timer(self, ts: Any, ed: Any) -> tuple[Distribution | None, float, int]:
        """(delay, probability, repeats) of a timer definition; expressions must be literals unless the
        scenario gives the delay."""
        bid = ts.bpmn_id
        if bid in self.sc.events:
            ev = self.sc.events[bid]
            return ev.delay, ev.probability, 1
        kind = type(ed).__name__
        text = _literal(getattr(ed, "expression", None))
        if kind == "DurationTimerEventDefinition":
            seconds = iso_duration_seconds(text or "")
            if seconds is None:
                raise self.refuse(
                    ts,
                    f"timer expression {ed.expression!r} is not a literal duration; give it in events.{bid}",
                )
            return parse_distribution(seconds, bid, "seconds"), 1.0, 1
        if kind == "CycleTimerEventDefinition":
            m = re.match(r"^R(\d*)/(P.+)$", (text or "").strip())
            seconds = iso_duration_seconds(m.group(2)) if m else None
            if not m or seconds is None or seconds <= 0:
                raise self.refuse(ts, f"timer cycle {ed.expression!r} is not 'R<n>/<duration>'")
            return parse_distribution(seconds, bid, "seconds"), 1.0, int(m.group(1)) if m.group(1) else -1
        raise self.refuse(
            ts, f"{kind} (a timer on a calendar date) has no meaning in a simulated year; give events.{bid}"
        )

    # --- graph -----------------------------------------------------------------------------
    def resolve(self, target: Any) -> Any | None:
        names = _mro(target)
        if "BoundaryEventSplit" in names:
            for o in target.outputs:
                if "BoundaryEvent" not in _mro(o):
                    return o
            raise self.refuse(target, "boundary split without its activity")
        if names & {"BoundaryEventJoin", "_EndJoin"}:
            return None
        return target

    def successors(self, ts: Any) -> list[Any]:
        out = []
        for o in ts.outputs:
            r = self.resolve(o)
            if r is not None:
                out.append(r)
        return out

    def compile_spec(self, spec: Any, path: str, stack: tuple[str, ...]) -> list[int]:
        """Compile one process spec; returns the node indexes of its start events."""
        local: dict[str, int] = {}
        pending: list[tuple[Any, Node]] = []
        boundaries: list[Any] = []

        for name, ts in spec.task_specs.items():
            names = _mro(ts)
            if names & _STRUCTURAL or "BoundaryEventSplit" in names:
                continue
            if "BoundaryEvent" in names:
                boundaries.append(ts)
                continue
            node = self.make_node(ts, names, path, stack)
            local[name] = node.idx
            pending.append((ts, node))

        for ts, node in pending:
            if node.kind == MI:
                continue
            node.succ = [local[s.name] for s in self.successors(ts)]
            node.n_in = max(1, len(ts.inputs))
        for ts, node in pending:
            if node.kind == MI:
                node.succ = [local[s.name] for s in self.successors(ts)]
        for b in boundaries:
            self.attach_boundary(b, local)
        for ts, node in pending:
            self.finish_gateway(ts, node, local)

        starts = []
        for s in spec.task_specs["Start"].outputs:
            s = self.resolve(s)
            ekind = _event_kind(s)
            if ekind != "NoneEventDefinition":
                raise self.refuse(
                    s,
                    f"a start event triggered by {ekind.replace('EventDefinition', '').lower()} "
                    "(event sub-processes and triggered starts are not simulated)",
                )
            starts.append(local[s.name])
        if not starts:
            raise SimulationInputError(f"Process '{spec.name}' has no start event.")
        return starts

    def make_node(self, ts: Any, names: set[str], path: str, stack: tuple[str, ...]) -> Node:
        bid = ts.bpmn_id or ts.name
        node = Node(len(self.nodes), PASS, bid, ts.bpmn_name or bid, scope_path=path)
        self.nodes.append(node)
        if "TransactionSubprocess" in names:
            raise self.refuse(ts, "transaction sub-processes (with compensation) are not simulated")
        if names & {"SequentialMultiInstanceTask", "ParallelMultiInstanceTask", "StandardLoopTask"}:
            node.kind = MI
            node.sequential = "ParallelMultiInstanceTask" not in names
            inner_ts = ts._wf_spec.task_specs[ts.task_spec] if isinstance(ts.task_spec, str) else ts.task_spec
            inner = self.make_node(inner_ts, _mro(inner_ts), path, stack)
            inner.succ = []
            node.inner = inner.idx
            node.count = self.mi_count(ts, names)
            return node
        if names & {"SubWorkflowTask", "CallActivity"}:
            node.kind = SUB
            called = ts.spec
            if called in stack:
                raise self.refuse(ts, f"it calls '{called}' recursively")
            spec = self.model.subprocess_specs.get(called)
            if spec is None:
                raise self.refuse(ts, f"the called process '{called}' is not among the files")
            node.child = self.compile_spec(spec, f"{path}/{bid}", (*stack, called))
            return node
        for cls, ttype in TASK_TYPES.items():
            if cls in names:
                return self.make_task(ts, node, ttype)
        if "ExclusiveGateway" in names:
            node.kind = XOR
        elif "ParallelGateway" in names:
            node.kind = AND
        elif "InclusiveGateway" in names:
            node.kind = OR
        elif "EventBasedGateway" in names:
            node.kind = EVENTGW
        elif "StartEvent" in names:
            node.kind = PASS
        elif "EndEvent" in names:
            ek = _event_kind(ts)
            if ek == "TerminateEventDefinition":
                node.kind = TERMINATE
                self.needs_cancel = True
            elif ek in ("NoneEventDefinition", "MessageEventDefinition", "SignalEventDefinition"):
                node.kind = END
            else:
                raise self.refuse(ts, f"end event of type {ek} (error, escalation, cancel) is not simulated")
        elif "IntermediateThrowEvent" in names:
            ek = _event_kind(ts)
            if ek not in ("NoneEventDefinition", "MessageEventDefinition", "SignalEventDefinition"):
                raise self.refuse(ts, f"throw event of type {ek} is not simulated")
            node.kind = PASS
        elif "IntermediateCatchEvent" in names:
            node.kind = CATCH
            ek = _event_kind(ts)
            if "Timer" in ek or ek == "TimeDateEventDefinition":
                node.delay, node.p_happen, repeats = self.timer(ts, ts.event_definition)
            elif ek in ("MessageEventDefinition", "SignalEventDefinition", "ConditionalEventDefinition"):
                msg = getattr(ts.event_definition, "name", None)
                node.delay, node.p_happen = self.trigger(ts, [bid, msg], "catch event")
            elif ek == "NoneEventDefinition":
                node.delay = None  # after an event-based gateway; resolved there
            else:
                raise self.refuse(ts, f"catch event of type {ek} is not simulated")
        else:
            raise self.refuse(ts, f"element type {type(ts).__name__} is not simulated")
        return node

    def mi_count(self, ts: Any, names: set[str]) -> Distribution:
        bid = ts.bpmn_id
        if bid in self.sc.multi_instance:
            return self.sc.multi_instance[bid]
        card = getattr(ts, "cardinality", None)
        text = _literal(card) if isinstance(card, str) else card
        try:
            value = int(str(text).strip())
        except (TypeError, ValueError):
            value = None
        if value is None or value < 0:
            raise self.refuse(
                ts,
                "the number of instances comes from data; give it as multi_instance."
                f"{bid} (a distribution of the count) in the scenario",
            )
        return parse_distribution(value, bid, "seconds")

    def make_task(self, ts: Any, node: Node, ttype: str) -> Node:
        node.kind = TASK
        node.task_type = ttype
        node.step = True
        props = task_properties(ts)
        node.stage = props.get("stage")
        lane = getattr(ts, "lane", None)
        role_enum = role_for_lane(lane)
        role = self.sc.assign.get(node.bpmn_id) or (role_enum.value if role_enum else lane)
        automatic = ttype in AUTOMATIC_TYPES and node.bpmn_id not in self.sc.assign
        if automatic or (ttype == "none" and role is None):
            role = None
        node.role = role
        if role is not None:
            if role not in self.sc.resources:
                self.missing_roles.append(f"{node.bpmn_id} ({role})")
            else:
                node.pool = self.pool_index(role)
        dur = self.sc.duration_for(node.bpmn_id, ts.bpmn_name, node.stage, role, ttype)
        if dur is None:
            if role is None:
                dur = None  # automatic step: instantaneous
            else:
                self.missing_durations.append(
                    f"{node.bpmn_id} (stage={node.stage or '-'}, role={role}, type={ttype})"
                )
        node.duration = dur
        node.citizen = self.sc.citizen_step(node.bpmn_id, ts.bpmn_name, node.stage)
        if ttype == "script" and self.uses_data:
            script = getattr(ts, "script", None)
            if script:
                node.script = compile_source(script, "exec", self.policy.allowed_names)
        if ttype == "service" and self.uses_data:
            op, var = getattr(ts, "operation_name", None), getattr(ts, "result_variable", None)
            if op and var:
                if op not in self.sc.operators:
                    raise self.refuse(
                        ts,
                        f"with case data, the results of operator '{op}' are drawn from the scenario: "
                        f'give "operators": {{"{op}": {{"values": [...], "weights": [...]}}}}',
                    )
                node.operator = (op, var)
        for var, keys in self.sc.redraw.items():
            if node.bpmn_id in keys or ts.bpmn_name in keys or (node.stage and f"stage:{node.stage}" in keys):
                node.redraw.append(var)
        return node

    def attach_boundary(self, b: Any, local: dict[str, int]) -> None:
        # the boundary's activity: the split's non-boundary output
        split = b.inputs[0]
        activity = self.resolve(split)
        host = self.nodes[local[activity.name]]
        ek = _event_kind(b)
        interrupting = bool(getattr(b, "cancel_activity", True))
        if "Timer" in ek or ek == "TimeDateEventDefinition":
            delay, p, repeats = self.timer(b, b.event_definition)
        elif ek in ("MessageEventDefinition", "SignalEventDefinition", "ConditionalEventDefinition"):
            delay, p = self.trigger(
                b, [b.bpmn_id, getattr(b.event_definition, "name", None)], "boundary event"
            )
            repeats = 1
        else:
            raise self.refuse(
                b, f"boundary event of type {ek} (error, escalation, compensation) is not simulated"
            )
        if interrupting:
            self.needs_cancel = True
            repeats = 1
        succ = [local[s.name] for s in self.successors(b)]
        host.boundaries.append(
            Boundary(b.bpmn_id, interrupting, delay, p, repeats, succ, f"boundary:{b.bpmn_id}")
        )

    def finish_gateway(self, ts: Any, node: Node, local: dict[str, int]) -> None:
        if node.kind == EVENTGW:
            defs = list(getattr(ts.event_definition, "event_definitions", []) or [])
            for i, target_ts in enumerate(self.successors(ts)):
                catch = self.nodes[local[target_ts.name]]
                if catch.kind != CATCH:
                    raise self.refuse(ts, "an event-based gateway must lead to intermediate catch events")
                if catch.delay is None:
                    ed = defs[i] if i < len(defs) else None
                    ek = type(ed).__name__ if ed is not None else "?"
                    if "Timer" in ek:
                        catch.delay, catch.p_happen, _ = self.timer(target_ts, ed)
                    else:
                        catch.delay, catch.p_happen = self.trigger(
                            target_ts, [catch.bpmn_id, getattr(ed, "name", None)], "catch event"
                        )
                node.race.append(catch.idx)
            return
        if node.kind not in (XOR, OR) or len(node.succ) <= 1:
            if node.kind == OR and node.n_in > 1 and len(node.succ) > 1:
                raise self.refuse(ts, "an inclusive gateway that both joins and splits")
            return
        if node.kind == OR and node.n_in > 1:
            raise self.refuse(ts, "an inclusive gateway that both joins and splits")
        targets: list[tuple[str | None, int, Any]] = []
        for cond, target_name in ts.cond_task_specs:
            target = self.resolve(ts._wf_spec.task_specs[target_name])
            targets.append((cond.args[0] if cond is not None else None, local[target.name], target))
        default_name = getattr(getattr(ts, "default_task_spec", None), "name", None) or getattr(
            ts, "default_task_spec", None
        )
        if isinstance(default_name, str):
            d = self.resolve(ts._wf_spec.task_specs[default_name])
            node.default = local[d.name] if d is not None else -1
        probs = self.sc.branches.get(node.bpmn_id) or self.sc.branches.get(node.name)
        flow_ids = self.flow_ids(ts)
        if probs is None and self.lenient:  # structure only (calibration): equal shares
            probs = {self.nodes[t].bpmn_id: 1.0 for _, t, _ in targets}
        if probs is not None:
            values = []
            for (_cond, tidx, _target), flow in zip(targets, flow_ids, strict=False):
                tnode = self.nodes[tidx]
                p = None
                for key in (flow, tnode.bpmn_id, tnode.name):
                    if key is not None and key in probs:
                        p = probs[key]
                        break
                values.append(p if p is not None else 0.0)
            known = (
                set(flow_ids)
                | {self.nodes[t].bpmn_id for _, t, _ in targets}
                | {self.nodes[t].name for _, t, _ in targets}
            )
            stray = [k for k in probs if k not in known]
            if stray:
                raise self.refuse(
                    ts, f"branches.{node.bpmn_id} names {stray}, which are not its outgoing flows"
                )
            total = sum(values)
            if node.kind == XOR:
                if total <= 0:
                    raise self.refuse(ts, "branch probabilities sum to zero")
                if abs(total - 1) > 1e-6:
                    self.warnings.append(f"branches.{node.bpmn_id} sum to {total:g}; normalised to 1")
                acc, cum = 0.0, []
                for v in values:
                    acc += v / total
                    cum.append(acc)
                cum[-1] = 1.0
                node.probs = cum
            else:
                if any(v > 1 for v in values):
                    raise self.refuse(ts, "inclusive branch probabilities are per flow and at most 1")
                node.probs = values
            node.succ = [t for _, t, _ in targets]
        elif self.uses_data and any(c is not None for c, _, _ in targets):
            node.conds = [
                (compile_source(c, "eval", self.policy.allowed_names) if c else None, t)
                for c, t, _ in targets
            ]
            node.succ = [t for _, t, _ in targets]
        else:
            raise SimulationInputError(
                f"Cổng '{node.bpmn_id}' cần xác suất nhánh / gateway '{node.bpmn_id}' needs branch "
                f'probabilities ("branches": {{"{node.bpmn_id}": {{flow or target id: p}}}}) or case '
                f'data ("data") for its conditions. Its flows: {", ".join(f or "?" for f in flow_ids)}.',
                fields={node.bpmn_id: "missing branch probabilities"},
            )
        if node.kind == OR:
            node.or_join = self.find_or_join(ts, node)

    def flow_ids(self, ts: Any) -> list[str | None]:
        """Outgoing sequence-flow ids, in the order of cond_task_specs (read from the XML)."""
        ids = []
        for _cond, target_name in ts.cond_task_specs:
            target = self.resolve(ts._wf_spec.task_specs[target_name])
            ids.append(self.flows.get((ts.bpmn_id, getattr(target, "bpmn_id", None))))
        return ids

    def find_or_join(self, ts: Any, node: Node) -> int:
        """The inclusive join that closes an inclusive split (block-structured models only)."""
        reach: list[dict[int, int]] = []
        for s in node.succ:
            dist = {s: 0}
            queue = deque([s])
            while queue:
                cur = queue.popleft()
                for nxt in self.nodes[cur].succ:
                    if nxt not in dist:
                        dist[nxt] = dist[cur] + 1
                        queue.append(nxt)
            reach.append(dist)
        common = [
            i
            for i in reach[0]
            if all(i in r for r in reach[1:]) and self.nodes[i].kind == OR and self.nodes[i].n_in > 1
        ]
        if not common:
            raise self.refuse(
                ts, "an inclusive split needs a matching inclusive join that all its branches reach"
            )
        return min(common, key=lambda i: max(r[i] for r in reach))


def build_plan(
    model: ProcessModel, scenario: Scenario, flows: dict | None = None, lenient: bool = False
) -> Plan:
    """Compile ``model`` against ``scenario``; raises SimulationInputError naming every gap."""
    b = _Builder(model, scenario)
    b.flows = flows or {}
    b.lenient = lenient
    starts = b.compile_spec(model.spec, model.process_id, (model.process_id,))
    problems = []
    if b.missing_roles:
        problems.append(
            "no resources for the roles of tasks "
            + ", ".join(b.missing_roles)
            + f" (scenario resources: {', '.join(scenario.resources) or 'none'})"
        )
    if b.missing_durations:
        problems.append(
            "no duration for tasks "
            + ", ".join(b.missing_durations)
            + " (give durations.tasks, .stages, .roles, .types or .default)"
        )
    if problems:
        raise SimulationInputError(
            "Kịch bản chưa đủ / the scenario is incomplete: " + "; ".join(problems) + "."
        )
    for n in b.nodes:
        if n.kind == MI and n.count is not None and n.count.mean > 1e6:
            raise SimulationInputError(f"multi_instance.{n.bpmn_id}: too many instances.")
        if (
            n.kind == CATCH
            and n.delay is None
            and n.p_happen > 0
            and not any(n.idx in m.race for m in b.nodes if m.kind == EVENTGW)
        ):
            raise SimulationInputError(f"Catch event '{n.bpmn_id}' has no trigger to simulate.")
    return Plan(model.process_id, b.nodes, starts, b.pools, b.needs_cancel, b.uses_data, b.warnings)
