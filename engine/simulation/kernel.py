"""The discrete-event kernel: one replication of a plan, as fast as plain Python allows.

Tokens move instantly through events and gateways; tasks queue FIFO for the officers of their role
and progress only in the role's working time; timers run in elapsed time. One heap holds the future.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from heapq import heappop, heappush
from typing import Any

import numpy as np

from engine.bpmn.sandbox import SandboxPolicy, ScriptLimitError, _LimitHit

from .distributions import Sampler, SimulationInputError, Uniforms, stream_seed
from .plan import AND, CATCH, END, EVENTGW, MI, OR, PASS, SUB, TASK, TERMINATE, XOR, Plan
from .scenario import Scenario, origin_of
from .timetable import DAY, Timetable

INF = float("inf")
_ARRIVAL, _DONE, _DELAY, _BOUNDARY = 0, 1, 2, 3


class _Scope:
    __slots__ = ("case", "parent", "inst", "active", "joins", "cancelled", "insts", "left")

    def __init__(self, case, parent, inst) -> None:
        self.case = case
        self.parent = parent
        self.inst = inst
        self.active = 0
        self.joins = None
        self.cancelled = False
        self.insts = None
        self.left = 0


class _Inst:
    __slots__ = ("node", "scope", "enq", "start", "end", "work", "done", "cancelled", "child")

    def __init__(self, node, scope, enq, work) -> None:
        self.node = node
        self.scope = scope
        self.enq = enq
        self.work = work
        self.start = -1.0
        self.done = False
        self.cancelled = False
        # ``end`` is set when the work is scheduled, ``child`` for sub-processes and multi-instance


class _Case:
    __slots__ = ("id", "arrival", "counted", "data", "trips", "hours", "copies", "travel", "fees")

    def __init__(self, cid, arrival, counted) -> None:
        self.id = cid
        self.arrival = arrival
        self.counted = counted
        self.data = None
        self.trips = self.hours = self.copies = self.travel = self.fees = 0.0


@dataclass
class ReplicationResult:
    """Raw outcome of one replication, times in seconds from the simulation origin."""

    arrivals: np.ndarray
    ends: np.ndarray
    cycle_work: np.ndarray
    late_class: np.ndarray  # -1 before, 0 on, 1 after the due date; 2 when no limit
    trips: np.ndarray
    hours: np.ndarray
    copies: np.ndarray
    compliance: np.ndarray
    step_count: np.ndarray
    step_wait: np.ndarray
    step_proc: np.ndarray
    step_work: np.ndarray
    pool_busy: np.ndarray  # working seconds of tasks started in the window
    pool_avail: np.ndarray  # working seconds of all officers of the role in the window
    pool_qarea: np.ndarray
    pool_qmax: np.ndarray
    pool_cost: np.ndarray
    wip_area: float
    window: tuple[float, float]
    unfinished: int
    events: int
    log: list[tuple] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def simulate_replication(
    plan: Plan,
    sc: Scenario,
    *,
    cases: int,
    warmup: int,
    seed: int,
    replication: int,
    log: bool = False,
    progress: Any = None,
) -> ReplicationResult:
    origin, first_offset = origin_of(sc)
    nodes = plan.nodes
    n_nodes = len(nodes)
    tables: dict[str, Timetable | None] = {}

    def table(name: str) -> Timetable | None:
        if name == "always":
            return None
        if name not in tables:
            tables[name] = Timetable(sc.calendar(name), origin, name)
        return tables[name]

    def rng(name: str) -> np.random.Generator:
        return np.random.default_rng(stream_seed(seed, replication, name))

    # per-node arrays (lists are faster than objects in the hot loop)
    kind = [n.kind for n in nodes]
    succ = [n.succ for n in nodes]
    n_in = [n.n_in for n in nodes]
    pool_of = [n.pool for n in nodes]
    dur = [Sampler(n.duration, rng(f"task:{n.bpmn_id}")) if n.duration is not None else None for n in nodes]
    bnds = [n.boundaries for n in nodes]
    bsamp = [
        [
            (Sampler(b.delay, rng(b.stream)) if b.delay is not None else None, Uniforms(rng(b.stream + ":p")))
            for b in n.boundaries
        ]
        for n in nodes
    ]
    uni = [Uniforms(rng(f"gw:{n.bpmn_id}")) if n.kind in (XOR, OR, EVENTGW, CATCH) else None for n in nodes]
    delay = [Sampler(n.delay, rng(f"event:{n.bpmn_id}")) if n.delay is not None else None for n in nodes]
    count = [Sampler(n.count, rng(f"mi:{n.bpmn_id}")) if n.count is not None else None for n in nodes]
    citizen = sc.citizen
    cit = []
    for n in nodes:
        c = n.citizen
        if c is None:
            cit.append(None)
        else:
            travel = (
                c.travel_cost_vnd if c.travel_cost_vnd is not None else citizen.travel_cost_vnd
            ) * c.trips
            cit.append((c.trips, c.hours, c.copies, travel, c.fees_vnd + c.other_cost_vnd))
    step_count = [0] * n_nodes
    step_wait = [0.0] * n_nodes
    step_proc = [0.0] * n_nodes
    step_work = [0.0] * n_nodes

    # pools
    n_pools = len(plan.pools)
    res = [sc.resources[r] for r in plan.pools]
    free = [r.count for r in res]
    queues = [deque() for _ in res]
    ptab = [table(r.calendar) for r in res]
    qlen = [0] * n_pools
    qlast = [0.0] * n_pools
    qarea = [0.0] * n_pools
    qmax = [0] * n_pools
    busy = [0.0] * n_pools
    track = plan.needs_cancel
    policy = SandboxPolicy() if plan.uses_data else None
    arrival_flags = list(sc.arrival_flags.items())
    plain = [
        n.kind == TASK
        and n.pool >= 0
        and n.duration is not None
        and n.citizen is None
        and not n.boundaries
        and n.script is None
        and n.operator is None
        and not n.redraw
        and not plan.needs_cancel
        for n in nodes
    ]
    data_nodes = [bool(n.script is not None or n.operator is not None or n.redraw) for n in nodes]
    op_streams = {
        n.operator: (
            sc.operators[n.operator[0]][0],
            np.cumsum(sc.operators[n.operator[0]][1]).tolist(),
            Uniforms(rng(f"operator:{n.operator[0]}:{n.operator[1]}")),
        )
        for n in nodes
        if n.operator is not None
    }
    data_streams = (
        {
            var: (vals, np.cumsum(p).tolist(), Uniforms(rng(f"data:{var}")))
            for var, (vals, p) in sc.data.items()
        }
        if sc.data is not None
        else None
    )

    heap: list = []
    seq = 0
    t_warm = None
    window_open = warmup == 0
    wip = 0
    wip_area = 0.0
    wip_last = 0.0
    events = 0
    log_rows: list[tuple] | None = [] if log else None
    default_tab = table(sc.default_calendar)
    arrival_tab = table(sc.arrival_calendar)
    limit = sc.limit
    if limit is not None and limit.unit != "calendar_days":
        hpd = default_tab.hours_per_day if default_tab is not None else 8.0
        limit_work = limit.working_hours * 3600 * hpd / 8
    else:
        limit_work = None

    out_arr: list[float] = []
    out_end: list[float] = []
    out_work: list[float] = []
    out_class: list[int] = []
    out_trips: list[float] = []
    out_hours: list[float] = []
    out_copies: list[float] = []
    out_cost: list[float] = []
    total = cases + warmup
    inter = Sampler(sc.interarrival, rng("arrivals"))
    per_case = citizen.per_case
    pc_travel = (
        per_case.travel_cost_vnd if per_case.travel_cost_vnd is not None else citizen.travel_cost_vnd
    ) * per_case.trips
    hourly, copy_cost = citizen.hourly_income_vnd, citizen.copy_cost_vnd

    # --- helpers -------------------------------------------------------------------------------
    def qchange(p: int, t: float, delta: int) -> None:
        qarea[p] += qlen[p] * (t - qlast[p])
        qlast[p] = t
        qlen[p] += delta
        if qlen[p] > qmax[p]:
            qmax[p] = qlen[p]

    def begin(inst: _Inst, p: int, t: float) -> None:
        nonlocal seq
        tab = ptab[p]
        d = inst.work
        if tab is None:
            s, e = t, t + d
        else:
            s = tab.next_work(t)
            e = tab.add(s, d)
        inst.start = s
        inst.end = e
        if window_open:
            busy[p] += d
        seq += 1
        heappush(heap, (e, seq, _DONE, inst, None))

    def release(p: int, t: float) -> None:
        q = queues[p]
        while q:
            nxt = q.popleft()
            if nxt.cancelled:
                continue
            qchange(p, t, -1)
            begin(nxt, p, t)
            return
        free[p] += 1

    def schedule_boundaries(inst: _Inst, t: float) -> None:
        nonlocal seq
        for bi, b in enumerate(bnds[inst.node]):
            sampler, u = bsamp[inst.node][bi]
            if sampler is None or (b.p_happen < 1 and u() >= b.p_happen):
                continue
            seq += 1
            heappush(heap, (t + sampler(), seq, _BOUNDARY, inst, (bi, b.repeats)))

    def cancel_inst(inst: _Inst, t: float) -> None:
        inst.cancelled = True
        k = kind[inst.node]
        if k == TASK:
            p = pool_of[inst.node]
            if inst.start < 0:
                if p >= 0:
                    qchange(p, t, -1)
            elif t < inst.end and p >= 0:
                tab = ptab[p]
                if window_open:
                    busy[p] -= (inst.end - t) if tab is None else tab.to_work(inst.end) - tab.to_work(t)
                release(p, t)
        elif inst.child is not None:
            cancel_scope(inst.child, t)

    def cancel_scope(scope: _Scope, t: float) -> None:
        scope.cancelled = True
        if scope.insts:
            for inst in list(scope.insts):
                cancel_inst(inst, t)
            scope.insts.clear()

    def finish_case(case: _Case, t: float) -> None:
        nonlocal wip, wip_area, wip_last
        wip_area += wip * (t - wip_last)
        wip_last = t
        wip -= 1
        if not case.counted:
            return
        a = case.arrival
        out_arr.append(a)
        out_end.append(t)
        if default_tab is None:
            out_work.append(t - a)
        else:
            out_work.append(default_tab.to_work(t) - default_tab.to_work(a))
        if limit is None:
            out_class.append(2)
        else:
            if limit_work is not None:
                due = default_tab.add(a, limit_work) if default_tab is not None else a + limit_work
            else:
                day = int(a // DAY) + int(limit.amount)
                if default_tab is not None:
                    while not default_tab.is_working_day(day):
                        day += 1
                    due = default_tab.day_end(day)
                else:
                    due = (day + 1) * DAY
            dd, de = int(due // DAY), int(t // DAY)
            out_class.append(-1 if de < dd else (0 if de == dd else 1))
        out_trips.append(case.trips)
        out_hours.append(case.hours)
        out_copies.append(case.copies)
        out_cost.append(case.hours * hourly + case.fees + case.travel + case.copies * copy_cost)

    def scope_done(scope: _Scope, t: float) -> None:
        if scope.cancelled:
            return
        parent = scope.parent
        if parent is None:
            finish_case(scope.case, t)
            return
        inst = scope.inst
        if scope.left > 0:  # sequential multi-instance: the next instance
            scope.left -= 1
            scope.active += 1
            advance(scope, nodes[inst.node].inner, t)
            return
        activity_done(inst, t)

    def activity_done(inst: _Inst, t: float) -> None:
        inst.done = True
        scope = inst.scope
        if track and scope.insts is not None:
            scope.insts.discard(inst)
        nexts = succ[inst.node]
        if len(nexts) == 1:
            advance(scope, nexts[0], t)
        else:
            fork(scope, nexts, t)

    def fork(scope: _Scope, nexts: list[int], t: float) -> None:
        """Replace the token that just left a node by one token per successor."""
        if not nexts:
            consume(scope, t)
            return
        scope.active += len(nexts) - 1
        for s in nexts:
            advance(scope, s, t)

    def consume(scope: _Scope, t: float) -> None:
        scope.active -= 1
        if scope.active == 0:
            scope_done(scope, t)

    def advance(scope: _Scope, n: int, t: float) -> None:
        """Move one token (already counted in scope.active) into node ``n``."""
        nonlocal seq
        while True:
            k = kind[n]
            if plain[n]:  # a task done by an officer, with nothing else attached: the common case
                d = dur[n]()
                inst = _Inst(n, scope, t, d)
                p = pool_of[n]
                if free[p] > 0:
                    free[p] -= 1
                    tab = ptab[p]
                    if tab is None:
                        e = t + d
                        inst.start = t
                    else:
                        s = tab.next_work(t)
                        e = tab.add(s, d)
                        inst.start = s
                    inst.end = e
                    if window_open:
                        busy[p] += d
                    seq += 1
                    heappush(heap, (e, seq, _DONE, inst, None))
                else:
                    queues[p].append(inst)
                    qchange(p, t, 1)
                return
            if k == TASK:
                case = scope.case
                c = cit[n]
                if c is not None:
                    case.trips += c[0]
                    case.hours += c[1]
                    case.copies += c[2]
                    case.travel += c[3]
                    case.fees += c[4]
                if data_nodes[n]:
                    node = nodes[n]
                    for var in node.redraw:
                        vals, cum, u = data_streams[var]
                        case.data[var] = _draw(vals, cum, u)
                    if node.operator is not None:
                        vals, cum, u = op_streams[node.operator]
                        case.data[node.operator[1]] = _draw(vals, cum, u)
                    if node.script is not None:
                        try:
                            _run_script(policy, node, case)
                        except Exception as exc:  # a script the scenario's data cannot satisfy
                            raise SimulationInputError(
                                f"Script task '{node.bpmn_id}' failed on the scenario data: {exc}"
                            ) from None
                sampler = dur[n]
                p = pool_of[n]
                if sampler is None and p < 0 and not bnds[n]:
                    nexts = succ[n]
                    if log_rows is not None:
                        log_rows.append((case.id, n, t, t, t, False, 0.0))
                    if case.counted:
                        step_count[n] += 1
                    if len(nexts) == 1:
                        n = nexts[0]
                        continue
                    fork(scope, nexts, t)
                    return
                inst = _Inst(n, scope, t, sampler() if sampler is not None else 0.0)
                if track:
                    if scope.insts is None:
                        scope.insts = set()
                    scope.insts.add(inst)
                if bnds[n]:
                    schedule_boundaries(inst, t)
                if p < 0:
                    inst.start = t
                    inst.end = t + inst.work
                    seq += 1
                    heappush(heap, (inst.end, seq, _DONE, inst, None))
                elif free[p] > 0:
                    free[p] -= 1
                    begin(inst, p, t)
                else:
                    queues[p].append(inst)
                    qchange(p, t, 1)
                return
            if k == PASS:
                nexts = succ[n]
                if len(nexts) == 1:
                    n = nexts[0]
                    continue
                fork(scope, nexts, t)
                return
            if k == XOR:
                node = nodes[n]
                nexts = succ[n]
                if len(nexts) == 1:
                    n = nexts[0]
                    continue
                if node.probs is not None:
                    u = uni[n]()
                    cum = node.probs
                    i = 0
                    while u >= cum[i]:
                        i += 1
                    n = nexts[i]
                else:
                    n = _choose_by_data(policy, node, scope.case, single=True)[0]
                continue
            if k == END:
                consume(scope, t)
                return
            if k == AND:
                if n_in[n] > 1:
                    joins = scope.joins
                    if joins is None:
                        joins = scope.joins = {}
                    got = joins.get(n, 0) + 1
                    if got < n_in[n]:
                        joins[n] = got
                        consume(scope, t)
                        return
                    joins[n] = 0
                nexts = succ[n]
                if len(nexts) == 1:
                    n = nexts[0]
                    continue
                fork(scope, nexts, t)
                return
            if k == OR:
                node = nodes[n]
                if n_in[n] > 1:  # a join: wait for the tokens its split sent
                    joins = scope.joins
                    if joins is None:
                        joins = scope.joins = {}
                    got = joins.get(n, 0) + 1
                    expected = joins.get(-n - 1, 0)
                    if got < expected:
                        joins[n] = got
                        consume(scope, t)
                        return
                    joins[n] = 0
                    joins[-n - 1] = 0
                    n = succ[n][0]
                    continue
                nexts = succ[n]
                if len(nexts) == 1:
                    n = nexts[0]
                    continue
                if node.probs is not None:
                    u = uni[n]
                    chosen = [s for s, p in zip(nexts, node.probs, strict=True) if u() < p]
                    if not chosen:
                        chosen = [node.default] if node.default >= 0 else [nexts[_argmax(node.probs)]]
                else:
                    chosen = _choose_by_data(policy, node, scope.case, single=False)
                if node.or_join >= 0:
                    joins = scope.joins
                    if joins is None:
                        joins = scope.joins = {}
                    key = -node.or_join - 1
                    joins[key] = joins.get(key, 0) + len(chosen)
                fork(scope, chosen, t)
                return
            if k == CATCH:
                sampler = delay[n]
                node = nodes[n]
                if node.p_happen < 1 and uni[n]() >= node.p_happen:
                    return  # the event never comes: the token waits for ever (reported unfinished)
                seq += 1
                heappush(heap, (t + sampler(), seq, _DELAY, scope, n))
                return
            if k == EVENTGW:
                best, when = -1, INF
                for c in nodes[n].race:
                    cn = nodes[c]
                    if cn.p_happen < 1 and uni[c]() >= cn.p_happen:
                        continue
                    w = delay[c]()
                    if w < when:
                        best, when = c, w
                if best < 0:
                    return
                seq += 1
                heappush(heap, (t + when, seq, _DELAY, scope, best))
                return
            if k in (SUB, MI):
                inst = _Inst(n, scope, t, 0.0)
                inst.start = t
                inst.child = None
                if track:
                    if scope.insts is None:
                        scope.insts = set()
                    scope.insts.add(inst)
                child = _Scope(scope.case, scope, inst)
                inst.child = child
                if bnds[n]:
                    schedule_boundaries(inst, t)
                if k == SUB:
                    starts = nodes[n].child
                    child.active = len(starts)
                    for s in starts:
                        advance(child, s, t)
                    return
                m = max(0, int(round(count[n]())))
                if m == 0:
                    activity_done(inst, t)
                    return
                inner = nodes[n].inner
                if nodes[n].sequential:
                    child.left = m - 1
                    child.active = 1
                    advance(child, inner, t)
                else:
                    child.active = m
                    for _ in range(m):
                        advance(child, inner, t)
                return
            if k == TERMINATE:
                cancel_scope(scope, t)
                scope.cancelled = False
                scope.active = 0
                scope_done(scope, t)
                scope.cancelled = True
                return
            raise AssertionError(f"unknown node kind {k}")

    # --- main loop -------------------------------------------------------------------------------
    first = first_offset
    if arrival_tab is not None:
        first = arrival_tab.next_work(first)
        arrival_w = arrival_tab.to_work(first)
    seq += 1
    heappush(heap, (first, seq, _ARRIVAL, 0, None))
    starts = plan.starts
    t = 0.0
    while heap:
        t, _, code, a, b = heappop(heap)
        events += 1
        if code == _DONE:
            inst = a
            if inst.cancelled:
                continue
            n = inst.node
            p = pool_of[n]
            if p >= 0:
                q = queues[p]
                if q:
                    release(p, t)
                else:
                    free[p] += 1
            case = inst.scope.case
            if case.counted:
                step_count[n] += 1
                step_wait[n] += inst.start - inst.enq
                step_proc[n] += t - inst.start
                step_work[n] += inst.work
            if log_rows is not None:
                log_rows.append((case.id, n, inst.enq, inst.start, t, False, inst.work))
            scope = inst.scope
            if scope.cancelled:
                continue
            if track or bnds[n]:
                activity_done(inst, t)
            else:
                nexts = succ[n]
                if len(nexts) == 1:
                    advance(scope, nexts[0], t)
                else:
                    fork(scope, nexts, t)
        elif code == _ARRIVAL:
            cid = a
            counted = cid >= warmup
            if counted and not window_open:
                window_open = True
                t_warm = t
                for p in range(n_pools):
                    qarea[p] = 0.0
                    qlast[p] = t
                wip_area = 0.0
                wip_last = t
            case = _Case(cid, t, counted)
            if data_streams is not None:
                case.data = {var: _draw(vals, cum, u) for var, (vals, cum, u) in data_streams.items()}
                for var, cutoff in arrival_flags:  # e.g. received after 15:00 (Vietnam time)
                    case.data[var] = t % DAY >= cutoff
            case.trips = per_case.trips
            case.hours = per_case.hours
            case.copies = per_case.copies
            case.travel = pc_travel
            case.fees = per_case.fees_vnd + per_case.other_cost_vnd
            wip_area += wip * (t - wip_last)
            wip_last = t
            wip += 1
            scope = _Scope(case, None, None)
            scope.active = len(starts)
            for s in starts:
                advance(scope, s, t)
            if progress is not None and cid % 1000 == 999:
                progress(1000)
            if cid + 1 < total:
                if arrival_tab is None:
                    nt = t + inter()
                else:
                    arrival_w += inter()
                    nt = arrival_tab.from_work(arrival_w)
                seq += 1
                heappush(heap, (nt, seq, _ARRIVAL, cid + 1, None))
        elif code == _DELAY:
            scope = a
            if scope.cancelled:
                continue
            fork(scope, succ[b], t)
        else:  # boundary event
            inst = a
            if inst.done or inst.cancelled or inst.scope.cancelled:
                continue
            bi, left = b
            bd = bnds[inst.node][bi]
            scope = inst.scope
            if bd.interrupting:
                cancel_inst(inst, t)
                if track and scope.insts is not None:
                    scope.insts.discard(inst)
                if log_rows is not None:
                    log_rows.append(
                        (
                            scope.case.id,
                            inst.node,
                            inst.enq,
                            inst.start,
                            t,
                            True,
                            _worked(inst, ptab, pool_of, t),
                        )
                    )
                fork(scope, bd.succ, t)
            else:
                scope.active += len(bd.succ)
                for s in bd.succ:
                    advance(scope, s, t)
                if left != 1:  # a timer cycle: the next firing while the activity lasts
                    sampler = bsamp[inst.node][bi][0]
                    seq += 1
                    heappush(heap, (t + sampler(), seq, _BOUNDARY, inst, (bi, left - 1 if left > 0 else -1)))
    if progress is not None and total % 1000:
        progress(total % 1000)
    t_end = t
    if t_warm is None:
        t_warm = 0.0
    span = max(t_end - t_warm, 1e-9)
    avail = np.zeros(n_pools)
    for p in range(n_pools):
        qarea[p] += qlen[p] * (t_end - qlast[p])
        tab = ptab[p]
        hours = span if tab is None else tab.to_work(t_end) - tab.to_work(t_warm)
        avail[p] = hours * res[p].count
    wip_area += wip * (t_end - wip_last)
    cost = np.array([busy[p] / 3600 * res[p].cost_per_hour for p in range(n_pools)])
    return ReplicationResult(
        arrivals=np.array(out_arr),
        ends=np.array(out_end),
        cycle_work=np.array(out_work),
        late_class=np.array(out_class, dtype=np.int8),
        trips=np.array(out_trips),
        hours=np.array(out_hours),
        copies=np.array(out_copies),
        compliance=np.array(out_cost),
        step_count=np.array(step_count),
        step_wait=np.array(step_wait),
        step_proc=np.array(step_proc),
        step_work=np.array(step_work),
        pool_busy=np.array(busy),
        pool_avail=avail,
        pool_qarea=np.array(qarea),
        pool_qmax=np.array(qmax),
        pool_cost=cost,
        wip_area=wip_area,
        window=(t_warm, t_end),
        unfinished=total - warmup - len(out_end) if warmup <= total else 0,
        events=events,
        log=log_rows,
    )


def _worked(inst: _Inst, ptab: list, pool_of: list[int], t: float) -> float:
    """Working seconds an interrupted task received before ``t``."""
    if inst.start < 0 or t <= inst.start:
        return 0.0
    p = pool_of[inst.node]
    tab = ptab[p] if p >= 0 else None
    return t - inst.start if tab is None else tab.to_work(t) - tab.to_work(inst.start)


def _argmax(values: list[float]) -> int:
    return max(range(len(values)), key=values.__getitem__)


def _draw(values: list, cum: list[float], u: Uniforms) -> Any:
    x = u()
    for v, c in zip(values, cum, strict=True):
        if x < c:
            return v
    return values[-1]


def _run_script(policy: SandboxPolicy, node: Any, case: _Case) -> None:
    namespace, base = policy._namespace(case.data, None)
    try:
        exec(node.script, namespace)  # noqa: S102 - compiled by the sandbox's checker
    except _LimitHit as hit:  # the sandbox's step budget: an endless script
        raise ScriptLimitError(str(hit)) from None
    for key, value in namespace.items():
        if key in base and value is base[key]:
            continue
        if key.startswith("_") or callable(value):
            continue
        case.data[key] = value


def _choose_by_data(policy: SandboxPolicy, node: Any, case: _Case, single: bool) -> list[int]:
    namespace, _ = policy._namespace(case.data or {}, None)
    chosen = []
    for code, target in node.conds:
        if code is None:
            continue
        try:
            ok = eval(code, namespace)  # noqa: S307 - compiled by the sandbox's checker
        except Exception as exc:
            raise SimulationInputError(
                f"The condition on gateway '{node.bpmn_id}' failed on the scenario data: {exc}"
            ) from None
        if ok:
            chosen.append(target)
            if single:
                return chosen
    if not chosen:
        if node.default >= 0:
            return [node.default]
        raise SimulationInputError(f"No condition of gateway '{node.bpmn_id}' holds for the scenario data.")
    return chosen
