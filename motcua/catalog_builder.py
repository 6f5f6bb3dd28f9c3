"""Generates the catalog's BPMN models (with diagram layout) and task forms from compact descriptions.

The procedures in :mod:`motcua.catalog_procedures` share one legal skeleton (Decree 61/2018 as
amended; Decree 118/2025): reception with accept or refuse, appraisal that may ask for supplements or
reject, approval, stamping and return. This module turns a description into

* ``processes/<code>/as-is.bpmn``: paper dossier, hand-over from the counter to the back office
  (the 15:00 rule as a condition), stamping by the clerk's office, return at the counter;
* ``processes/<code>/to-be.bpmn``: "five at one place" (5 tại chỗ) with population-registry look-ups
  (service tasks) instead of paper copies, a verification task when a look-up does not match;
* ``forms/<code>/<task>.json``: a JSON Schema 2020-12 form for every user task.

Run ``make catalog`` (``python -m motcua.catalog_builder``) after changing a description; the output
is committed, and a test checks that it is up to date.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {
    "bpmn": BPMN_NS,
    "bpmndi": BPMNDI_NS,
    "dc": DC_NS,
    "di": DI_NS,
    "spiffworkflow": SPIFF_NS,
    "xsi": XSI_NS,
}

# Lanes, top to bottom: (role code, Vietnamese label used as the lane name).
LANES = (
    ("intake_officer", "Cán bộ tiếp nhận"),
    ("appraiser", "Cán bộ thẩm định"),
    ("approver", "Lãnh đạo phê duyệt"),
    ("clerk", "Văn thư"),
)
L_INTAKE, L_APPRAISER, L_APPROVER, L_CLERK = (role for role, _ in LANES)


# =========================================================================== descriptions


@dataclass(frozen=True)
class Field:
    """One form field. ``registry`` is the dotted path into task data that pre-fills it."""

    name: str
    title: str
    title_en: str
    type: str = "string"  # string | integer | number | boolean
    example: Any = None
    required: bool = True
    enum: tuple[str, ...] | None = None
    enum_titles: tuple[str, ...] | None = None
    format: str | None = None
    pattern: str | None = None
    pattern_message: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = 500
    registry: str | None = None


@dataclass(frozen=True)
class Lookup:
    """A population-registry look-up on one person of the dossier."""

    id: str
    name: str
    operator: str
    result: str
    subject: str = "applicant"  # the prefix of <subject>_id_number, _full_name, _date_of_birth
    document: str | None = None  # the manifest document code the look-up replaces


@dataclass(frozen=True)
class Step:
    """An appraisal step; the last step of a procedure carries the appraisal decision."""

    id: str
    name: str
    fields: tuple[Field, ...] = ()
    share: float = 1.0  # share of the appraisal hours
    name_en: str = "Appraisal of the dossier"


@dataclass(frozen=True)
class Hours:
    intake: float
    transfer: float
    appraisal: float
    approval: float
    stamping: float
    ret: float


@dataclass(frozen=True)
class PaperDocument:
    code: str
    name_vi: str
    name_en: str
    replaced_by_lookup: bool = False


@dataclass(frozen=True)
class ProcedureModel:
    code: str
    name_vi: str
    result_vi: str  # the result document, e.g. "Trích lục khai sinh"
    fields: tuple[Field, ...]  # procedure-specific intake fields
    documents: tuple[PaperDocument, ...]
    lookups: tuple[Lookup, ...]
    as_is_hours: Hours
    to_be_hours: Hours
    steps: tuple[Step, ...] = (Step("appraise", "Thẩm định hồ sơ"),)
    subjects: tuple[tuple[str, str, str], ...] = (("applicant", "người yêu cầu", "applicant"),)
    submit_example: dict[str, Any] = field(default_factory=dict)


# =========================================================================== process graph


@dataclass
class Node:
    id: str
    kind: str  # start | end | user | service | throw | xgw
    name: str
    lane: str
    col: int
    row: int = 0
    props: dict[str, str] = field(default_factory=dict)
    default: str | None = None
    lookup: Lookup | None = None


@dataclass
class Flow:
    id: str
    source: str
    target: str
    condition: str | None = None
    name: str | None = None


@dataclass
class Graph:
    process_id: str
    name: str
    pool: str
    nodes: list[Node] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)

    def add(self, node: Node) -> Node:
        self.nodes.append(node)
        return node

    def flow(self, source: str, target: str, condition: str | None = None, name: str | None = None) -> Flow:
        flow = Flow(f"flow_{source}_to_{target}", source, target, condition, name)
        self.flows.append(flow)
        return flow

    def node(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.id == node_id)


def _user(
    node_id: str,
    name: str,
    lane: str,
    col: int,
    stage: str,
    hours: float,
    form: str,
    row: int = 0,
    event: str | None = None,
) -> Node:
    props = {"stage": stage, "allottedHours": _num(hours), "form": form}
    if event:
        props["dossierEvent"] = event
    return Node(node_id, "user", name, lane, col, row, props)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _event(node_id: str, kind: str, name: str, lane: str, col: int, row: int = 0, event: str | None = None):
    return Node(node_id, kind, name, lane, col, row, {"dossierEvent": event} if event else {})


def _tail(
    g: Graph, proc: ProcedureModel, hours: Hours, base: int, entry_sources: list[str], hand_back: bool = False
) -> None:
    """From the merge before appraisal to the end: appraisal (supplement loop, rejection), approval,
    stamping, return. ``entry_sources`` flow into the merge; ``hand_back`` adds the clerk's office
    sending the stamped result back to the counter (as-is)."""
    code = proc.code
    shift = 1 if hand_back else 0
    g.add(Node("merge_appraisal", "xgw", "", L_APPRAISER, base))
    for source in entry_sources:
        g.flow(source, "merge_appraisal")
    previous = "merge_appraisal"
    total_share = sum(s.share for s in proc.steps)
    col = base
    for step in proc.steps:
        col += 1
        step_hours = round(hours.appraisal * step.share / total_share, 1)
        g.add(_user(step.id, step.name, L_APPRAISER, col, "appraisal", step_hours, f"{code}/{step.id}.json"))
        g.flow(previous, step.id)
        previous = step.id
    k = col - base
    b = base
    decide = g.add(Node("gw_appraisal", "xgw", "Kết quả thẩm định?", L_APPRAISER, b + k + 1))
    g.flow(previous, "gw_appraisal")
    g.add(
        _event(
            "ev_supplement",
            "throw",
            "Phiếu yêu cầu bổ sung hồ sơ",
            L_APPRAISER,
            b + k + 2,
            1,
            "supplement_requested",
        )
    )
    g.add(
        _user(
            "receive_supplement",
            "Tiếp nhận hồ sơ bổ sung",
            L_INTAKE,
            b + k + 3,
            "intake",
            hours.intake,
            f"{code}/receive_supplement.json",
            event="supplement_received",
        )
    )
    g.add(
        _user(
            "approve",
            "Phê duyệt kết quả",
            L_APPROVER,
            b + k + 4,
            "approval",
            hours.approval,
            f"{code}/approve.json",
        )
    )
    approval = g.add(Node("gw_approval", "xgw", "Lãnh đạo đồng ý?", L_APPROVER, b + k + 5))
    g.add(_event("ev_rejected", "throw", "Văn bản từ chối giải quyết", L_INTAKE, b + k + 6, 1, "rejected"))
    g.add(
        _user(
            "stamp",
            f"Ký số, đóng dấu {proc.result_vi.lower()}",
            L_CLERK,
            b + k + 6,
            "stamping",
            hours.stamping,
            f"{code}/stamp.json",
            event="result_ready",
        )
    )
    g.add(
        _user(
            "return_result",
            "Trả kết quả cho người yêu cầu",
            L_INTAKE,
            b + k + 7 + shift,
            "return",
            hours.ret,
            f"{code}/return_result.json",
            event="returned",
        )
    )
    g.add(_event("end_returned", "end", "Đã trả kết quả", L_INTAKE, b + k + 8 + shift))
    if hand_back:
        g.add(
            _user(
                "transfer_result",
                "Chuyển kết quả về Bộ phận một cửa",
                L_CLERK,
                b + k + 7,
                "stamping",
                hours.transfer,
                f"{code}/transfer_result.json",
            )
        )

    g.flow("gw_appraisal", "ev_supplement", 'appraisal_result == "supplement"', "Thiếu giấy tờ")
    g.flow("gw_appraisal", "ev_rejected", 'appraisal_result == "reject"', "Không đủ điều kiện")
    decide.default = g.flow("gw_appraisal", "approve", name="Đủ điều kiện").id
    g.flow("ev_supplement", "receive_supplement")
    g.flow("receive_supplement", "merge_appraisal")
    g.flow("approve", "gw_approval")
    g.flow("gw_approval", "ev_rejected", 'approval_result == "reject"', "Không đồng ý")
    approval.default = g.flow("gw_approval", "stamp", name="Đồng ý").id
    if hand_back:
        g.flow("stamp", "transfer_result")
        g.flow("transfer_result", "return_result")
    else:
        g.flow("stamp", "return_result")
    g.flow("ev_rejected", "return_result")
    g.flow("return_result", "end_returned")


def as_is_graph(proc: ProcedureModel) -> Graph:
    """Today's procedure: paper copies, hand-over to the back office, clerk's office stamps."""
    h = proc.as_is_hours
    g = Graph(
        f"{proc.code}_as_is",
        f"{proc.name_vi} (hiện trạng)",
        f"{proc.name_vi} — quy trình hiện trạng (hồ sơ giấy, chuyển phòng chuyên môn)",
    )
    code = proc.code
    g.add(_event("start", "start", "Nộp hồ sơ giấy", L_INTAKE, 0))
    g.add(
        _user(
            "intake_paper",
            "Tiếp nhận, kiểm tra hồ sơ giấy",
            L_INTAKE,
            1,
            "intake",
            h.intake,
            f"{code}/intake_paper.json",
        )
    )
    gw = g.add(Node("gw_intake", "xgw", "Hồ sơ hợp lệ?", L_INTAKE, 2))
    g.add(_event("ev_accepted", "throw", "Giấy tiếp nhận và hẹn trả kết quả", L_INTAKE, 3, 0, "accepted"))
    g.add(_event("end_refused", "end", "Từ chối tiếp nhận", L_INTAKE, 3, 1, "refused"))
    cutoff = g.add(Node("gw_cutoff", "xgw", "Tiếp nhận sau 15:00?", L_INTAKE, 4))
    g.add(
        _user(
            "transfer_same_day",
            "Chuyển hồ sơ giấy trong ngày",
            L_INTAKE,
            5,
            "intake",
            h.transfer,
            f"{code}/transfer.json",
        )
    )
    g.add(
        _user(
            "transfer_next_morning",
            "Chuyển hồ sơ giấy sáng ngày làm việc tiếp theo",
            L_INTAKE,
            5,
            "intake",
            h.transfer + 2,
            f"{code}/transfer.json",
            row=1,
        )
    )
    g.flow("start", "intake_paper")
    g.flow("intake_paper", "gw_intake")
    g.flow("gw_intake", "end_refused", 'intake_decision == "refuse"', "Từ chối")
    gw.default = g.flow("gw_intake", "ev_accepted", name="Tiếp nhận").id
    g.flow("ev_accepted", "gw_cutoff")
    g.flow("gw_cutoff", "transfer_next_morning", "received_after_cutoff == True", "Sau 15:00")
    cutoff.default = g.flow("gw_cutoff", "transfer_same_day", name="Trước 15:00").id
    _tail(g, proc, h, 6, ["transfer_same_day", "transfer_next_morning"], hand_back=True)
    return g


def to_be_graph(proc: ProcedureModel) -> Graph:
    """'Five at one place': every stage at the one-stop counter, registry look-ups instead of paper."""
    h = proc.to_be_hours
    code = proc.code
    g = Graph(
        f"{proc.code}_to_be",
        f"{proc.name_vi} (5 tại chỗ)",
        f"{proc.name_vi} — 5 tại chỗ tại Bộ phận một cửa (tra cứu CSDL quốc gia về dân cư)",
    )
    g.add(_event("start", "start", "Nộp hồ sơ (trực tiếp, bưu chính, trực tuyến)", L_INTAKE, 0))
    previous = "start"
    col = 0
    for lookup in proc.lookups:
        col += 1
        g.add(Node(lookup.id, "service", lookup.name, L_INTAKE, col, lookup=lookup))
        g.flow(previous, lookup.id)
        previous = lookup.id
    n = col
    g.add(
        _user(
            "intake",
            "Tiếp nhận hồ sơ, đối chiếu dữ liệu dân cư",
            L_INTAKE,
            n + 1,
            "intake",
            h.intake,
            f"{code}/intake.json",
        )
    )
    g.flow(previous, "intake")
    gw = g.add(Node("gw_intake", "xgw", "Hồ sơ hợp lệ?", L_INTAKE, n + 2))
    g.add(_event("ev_accepted", "throw", "Giấy tiếp nhận và hẹn trả kết quả", L_INTAKE, n + 3, 0, "accepted"))
    g.add(_event("end_refused", "end", "Từ chối tiếp nhận", L_INTAKE, n + 3, 1, "refused"))
    g.flow("intake", "gw_intake")
    g.flow("gw_intake", "end_refused", 'intake_decision == "refuse"', "Từ chối")
    gw.default = g.flow("gw_intake", "ev_accepted", name="Tiếp nhận").id
    entry = ["ev_accepted"]
    if proc.lookups:
        registry = g.add(Node("gw_registry", "xgw", "Dữ liệu dân cư khớp?", L_INTAKE, n + 4))
        g.add(
            _user(
                "verify_registry",
                "Xác minh thông tin không khớp",
                L_APPRAISER,
                n + 5,
                "appraisal",
                24,
                f"{code}/verify_registry.json",
                row=1,
            )
        )
        verified = g.add(Node("gw_verified", "xgw", "Đã xác minh?", L_APPRAISER, n + 6, 1))
        g.flow("ev_accepted", "gw_registry")
        match = " and ".join(f'{lk.result}["status"] == "match"' for lk in proc.lookups)
        g.flow("gw_registry", "merge_appraisal", match, "Khớp")
        registry.default = g.flow("gw_registry", "verify_registry", name="Không khớp / không tra được").id
        g.flow("verify_registry", "gw_verified")
        g.flow("gw_verified", "merge_appraisal", "verified == True", "Đã xác minh")
        verified.default = g.flow("gw_verified", "ev_supplement", name="Yêu cầu nộp giấy tờ").id
        entry = []
        base = n + 7
    else:
        base = n + 4
    _tail(g, proc, h, base, entry)
    return g


# =========================================================================== BPMN + DI

COL_WIDTH = 170
LANE_HEIGHT = 240
LANE_HEADER = 30
POOL_X, POOL_Y = 100, 60
ROW_CENTER = (70, 165)
BAND = 222  # y inside a lane where back edges run, below both rows
SIZES = {
    "user": (120, 80),
    "service": (120, 80),
    "xgw": (50, 50),
    "start": (36, 36),
    "end": (36, 36),
    "throw": (36, 36),
}


@dataclass
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


def _lane_index(lane: str) -> int:
    return [r for r, _ in LANES].index(lane)


def _layout(g: Graph) -> dict[str, Box]:
    boxes = {}
    for node in g.nodes:
        w, h = SIZES[node.kind]
        cx = POOL_X + LANE_HEADER + 40 + node.col * COL_WIDTH + 60
        cy = POOL_Y + _lane_index(node.lane) * LANE_HEIGHT + ROW_CENTER[node.row]
        boxes[node.id] = Box(cx - w / 2, cy - h / 2, w, h)
    return boxes


def _route(
    g: Graph, flow: Flow, boxes: dict[str, Box], used: dict[str, set[str]]
) -> list[tuple[float, float]]:
    src, dst = g.node(flow.source), g.node(flow.target)
    s, t = boxes[src.id], boxes[dst.id]
    if dst.col > src.col:
        if abs(s.cy - t.cy) < 1:
            return [(s.x + s.w, s.cy), (t.x, t.cy)]
        side = "bottom" if t.cy > s.cy else "top"
        if src.kind == "xgw" and side not in used[src.id]:
            used[src.id].add(side)
            y0 = s.y + s.h if side == "bottom" else s.y
            return [(s.cx, y0), (s.cx, t.cy), (t.x, t.cy)]
        used[src.id].add("right")
        mx = t.x - 25
        return [(s.x + s.w, s.cy), (mx, s.cy), (mx, t.cy), (t.x, t.cy)]
    # a loop back: run along the bottom band of the target's lane
    band = POOL_Y + _lane_index(dst.lane) * LANE_HEIGHT + BAND
    start = (s.cx, s.y + s.h) if s.cy < band else (s.cx, s.y)
    return [start, (s.cx, band), (t.cx, band), (t.cx, t.y + t.h)]


def _sub(parent, tag: str, ns: str = BPMN_NS, **attrs) -> etree._Element:
    return etree.SubElement(parent, f"{{{ns}}}{tag}", {k: str(v) for k, v in attrs.items() if v is not None})


def _fmt(value: float) -> str:
    return _num(round(value, 1))


def render_bpmn(g: Graph) -> bytes:
    root = etree.Element(
        f"{{{BPMN_NS}}}definitions",
        nsmap=NSMAP,
        id=f"Definitions_{g.process_id}",
        targetNamespace="http://motcua.vn/bpmn/catalog",
        exporter="motcua catalog builder",
    )
    collab = _sub(root, "collaboration", id=f"Collaboration_{g.process_id}")
    _sub(collab, "participant", id=f"Participant_{g.process_id}", name=g.pool, processRef=g.process_id)
    process = _sub(root, "process", id=g.process_id, name=g.name, isExecutable="true")
    lane_set = _sub(process, "laneSet", id=f"LaneSet_{g.process_id}")
    for role, label in LANES:
        lane = _sub(lane_set, "lane", id=f"Lane_{role}", name=label)
        for node in g.nodes:
            if node.lane == role:
                _sub(lane, "flowNodeRef").text = node.id
    incoming: dict[str, list[str]] = {n.id: [] for n in g.nodes}
    outgoing: dict[str, list[str]] = {n.id: [] for n in g.nodes}
    for flow in g.flows:
        outgoing[flow.source].append(flow.id)
        incoming[flow.target].append(flow.id)
    tags = {
        "start": "startEvent",
        "end": "endEvent",
        "user": "userTask",
        "service": "serviceTask",
        "throw": "intermediateThrowEvent",
        "xgw": "exclusiveGateway",
    }
    for node in g.nodes:
        el = _sub(process, tags[node.kind], id=node.id, name=node.name or None, default=node.default)
        if node.props or node.lookup:
            ext = _sub(el, "extensionElements")
            if node.lookup:
                lk = node.lookup
                op = _sub(ext, "serviceTaskOperator", SPIFF_NS, id=lk.operator, resultVariable=lk.result)
                params = _sub(op, "parameters", SPIFF_NS)
                for param, var in (
                    ("id_number", f"{lk.subject}_id_number"),
                    ("full_name", f"{lk.subject}_full_name"),
                    ("date_of_birth", f"{lk.subject}_date_of_birth"),
                ):
                    _sub(params, "parameter", SPIFF_NS, id=param, type="str", value=var)
                if lk.document:
                    _sub(params, "parameter", SPIFF_NS, id="document", type="str", value=f'"{lk.document}"')
            if node.props:
                props = _sub(ext, "properties", SPIFF_NS)
                for key, value in node.props.items():
                    _sub(props, "property", SPIFF_NS, name=key, value=value)
        for flow_id in incoming[node.id]:
            _sub(el, "incoming").text = flow_id
        for flow_id in outgoing[node.id]:
            _sub(el, "outgoing").text = flow_id
    for flow in g.flows:
        el = _sub(
            process, "sequenceFlow", id=flow.id, name=flow.name, sourceRef=flow.source, targetRef=flow.target
        )
        if flow.condition:
            cond = _sub(el, "conditionExpression")
            cond.set(f"{{{XSI_NS}}}type", "bpmn:tFormalExpression")
            cond.text = flow.condition

    boxes = _layout(g)
    columns = max(n.col for n in g.nodes) + 1
    width = LANE_HEADER + 40 + columns * COL_WIDTH + 40
    diagram = _sub(root, "BPMNDiagram", BPMNDI_NS, id=f"Diagram_{g.process_id}")
    plane = _sub(diagram, "BPMNPlane", BPMNDI_NS, id=f"Plane_{g.process_id}", bpmnElement=collab.get("id"))

    def shape(element_id: str, x: float, y: float, w: float, h: float, **extra) -> etree._Element:
        el = _sub(plane, "BPMNShape", BPMNDI_NS, id=f"{element_id}_di", bpmnElement=element_id, **extra)
        _sub(el, "Bounds", DC_NS, x=_fmt(x), y=_fmt(y), width=_fmt(w), height=_fmt(h))
        return el

    shape(f"Participant_{g.process_id}", POOL_X, POOL_Y, width, LANE_HEIGHT * len(LANES), isHorizontal="true")
    for i, (role, _) in enumerate(LANES):
        shape(
            f"Lane_{role}",
            POOL_X + LANE_HEADER,
            POOL_Y + i * LANE_HEIGHT,
            width - LANE_HEADER,
            LANE_HEIGHT,
            isHorizontal="true",
        )
    for node in g.nodes:
        b = boxes[node.id]
        extra = {"isMarkerVisible": "true"} if node.kind == "xgw" else {}
        el = shape(node.id, b.x, b.y, b.w, b.h, **extra)
        if node.kind != "user" and node.kind != "service" and node.name:
            label = _sub(el, "BPMNLabel", BPMNDI_NS)
            if node.kind == "xgw":  # above and to the left: edges leave gateways right, up and down
                x, y = b.x - 95, b.y - 24
            else:
                x, y = b.cx - 50, b.y + b.h + 4
            _sub(label, "Bounds", DC_NS, x=_fmt(x), y=_fmt(y), width="100", height="27")
    used: dict[str, set[str]] = {n.id: set() for n in g.nodes}
    for flow in g.flows:
        edge = _sub(plane, "BPMNEdge", BPMNDI_NS, id=f"{flow.id}_di", bpmnElement=flow.id)
        points = _route(g, flow, boxes, used)
        for x, y in points:
            _sub(edge, "waypoint", DI_NS, x=_fmt(x), y=_fmt(y))
        if flow.name:
            (x1, y1), (x2, y2) = points[0], points[1]
            if abs(x1 - x2) < 1:  # leaves vertically: beside the vertical run
                x, y = x1 + 6, (y1 + y2) / 2 - 7
            else:
                x, y = x1 + 6, y1 - 18
            label = _sub(edge, "BPMNLabel", BPMNDI_NS)
            _sub(label, "Bounds", DC_NS, x=_fmt(x), y=_fmt(y), width="90", height="14")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# =========================================================================== forms

DECISION_INTAKE = Field(
    "intake_decision",
    "Kết quả tiếp nhận",
    "Reception outcome",
    enum=("accept", "refuse"),
    enum_titles=("Tiếp nhận hồ sơ", "Từ chối tiếp nhận"),
    example="accept",
)
REFUSAL_REASON = Field(
    "refusal_reason", "Lý do từ chối tiếp nhận", "Reason for refusal", required=False, example=None
)


def _person_fields(prefix: str, who_vi: str, who_en: str, lookup: Lookup | None) -> tuple[Field, ...]:
    def reg(attr: str) -> str | None:
        return f"{lookup.result}.person.{attr}" if lookup else None

    return (
        Field(
            f"{prefix}_full_name",
            f"Họ và tên {who_vi}",
            f"Full name of the {who_en}",
            example="Nguyễn Văn An",
            min_length=2,
            max_length=100,
            registry=reg("full_name"),
        ),
        Field(
            f"{prefix}_date_of_birth",
            f"Ngày sinh {who_vi}",
            f"Date of birth of the {who_en}",
            format="date",
            example="1990-05-17",
            registry=reg("date_of_birth"),
        ),
        Field(
            f"{prefix}_id_number",
            f"Số định danh cá nhân {who_vi}",
            f"Personal ID number of the {who_en}",
            pattern="^[0-9]{12}$",
            pattern_message="phải gồm đúng 12 chữ số",
            example="001090012345",
            registry=reg("id_number"),
        ),
    )


def _schema(title: str, title_en: str, fields: tuple[Field, ...], rules: list[dict] | None = None) -> dict:
    props: dict[str, Any] = {}
    required: list[str] = []
    example: dict[str, Any] = {}
    for f in fields:
        prop: dict[str, Any] = {"type": f.type, "title": f.title, "x-title-en": f.title_en}
        if f.enum:
            prop["enum"] = list(f.enum)
            if f.enum_titles:
                prop["x-enum-titles"] = list(f.enum_titles)
        if f.format:
            prop["format"] = f.format
        if f.pattern:
            prop["pattern"] = f.pattern
        if f.pattern_message:
            prop["x-pattern-message"] = f.pattern_message
        if f.minimum is not None:
            prop["minimum"] = f.minimum
        if f.maximum is not None:
            prop["maximum"] = f.maximum
        if f.type == "string" and not f.enum and not f.format and not f.pattern:
            prop["minLength"] = f.min_length if f.min_length is not None else (1 if f.required else 0)
            if f.max_length:
                prop["maxLength"] = f.max_length
        if f.registry:
            prop["x-registry"] = f.registry
        props[f.name] = prop
        if f.required:
            required.append(f.name)
        if f.example is not None:
            example[f.name] = f.example
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "x-title-en": title_en,
        "type": "object",
        "properties": props,
        "required": required,
    }
    if rules:
        schema["allOf"] = rules
    schema["examples"] = [example]
    return schema


def _required_when(field_name: str, value: Any, then: str) -> dict:
    return {
        "if": {"properties": {field_name: {"const": value}}, "required": [field_name]},
        "then": {"required": [then]},
    }


def _paper(d: PaperDocument) -> Field:
    """A check box for a paper document of the dossier (ticked when it was handed in)."""
    return Field(
        f"doc_{d.code}",
        f"{d.name_vi} (đã nộp)",
        f"{d.name_en} (submitted)",
        type="boolean",
        required=False,
        example=True,
    )


def forms_for(proc: ProcedureModel) -> dict[str, dict]:
    """Every user task's form, by file name (shared between the two variants where the task is)."""
    lookups: dict[str, Lookup] = {}
    for lk in proc.lookups:  # a person's first look-up (the identity) pre-fills their fields
        lookups.setdefault(lk.subject, lk)
    people_plain: tuple[Field, ...] = ()
    people_registry: tuple[Field, ...] = ()
    for prefix, who_vi, who_en in proc.subjects:
        people_plain += _person_fields(prefix, who_vi, who_en, None)
        people_registry += _person_fields(prefix, who_vi, who_en, lookups.get(prefix))
    paper_all = tuple(_paper(d) for d in proc.documents)
    paper_left = tuple(_paper(d) for d in proc.documents if not d.replaced_by_lookup)
    refuse_rule = [_required_when("intake_decision", "refuse", "refusal_reason")]
    forms = {
        "intake_paper": _schema(
            f"Tiếp nhận hồ sơ giấy — {proc.name_vi}",
            "Paper dossier reception",
            people_plain
            + proc.fields
            + paper_all
            + (
                Field(
                    "received_after_cutoff",
                    "Tiếp nhận sau 15:00",
                    "Received after 15:00",
                    type="boolean",
                    example=False,
                ),
                DECISION_INTAKE,
                REFUSAL_REASON,
            ),
            refuse_rule,
        ),
        "intake": _schema(
            f"Tiếp nhận hồ sơ — {proc.name_vi}",
            "Dossier reception (with population registry data)",
            people_registry + proc.fields + paper_left + (DECISION_INTAKE, REFUSAL_REASON),
            refuse_rule,
        ),
        "transfer": _schema(
            "Bàn giao hồ sơ giấy cho phòng chuyên môn",
            "Hand-over of the paper dossier to the back office",
            (
                Field(
                    "handed_to", "Người nhận hồ sơ", "Received by", example="Trần Thị Bình", max_length=100
                ),
                Field("transfer_note", "Ghi chú bàn giao", "Hand-over note", required=False),
            ),
        ),
        "transfer_result": _schema(
            "Chuyển kết quả về Bộ phận một cửa",
            "Hand-over of the result to the one-stop counter",
            (
                Field(
                    "handed_to",
                    "Người nhận kết quả tại Bộ phận một cửa",
                    "Received by",
                    example="Trần Thị Bình",
                    max_length=100,
                ),
                Field("transfer_note", "Ghi chú bàn giao", "Hand-over note", required=False),
            ),
        ),
        "receive_supplement": _schema(
            "Tiếp nhận hồ sơ bổ sung",
            "Receipt of supplementary documents",
            (
                Field(
                    "supplement_items", "Giấy tờ đã bổ sung", "Documents supplied", example="Bản sao giấy tờ"
                ),
                Field(
                    "supplement_complete",
                    "Hồ sơ bổ sung đầy đủ",
                    "Supplement complete",
                    type="boolean",
                    example=True,
                ),
            ),
        ),
        "approve": _schema(
            f"Phê duyệt — {proc.name_vi}",
            "Approval",
            (
                Field(
                    "approval_result",
                    "Ý kiến phê duyệt",
                    "Approval decision",
                    enum=("approve", "reject"),
                    enum_titles=("Đồng ý", "Không đồng ý"),
                    example="approve",
                ),
                Field("approval_note", "Ý kiến của lãnh đạo", "Approver's note", required=False),
                Field("rejection_reason", "Lý do từ chối giải quyết", "Reason for rejection", required=False),
            ),
            [_required_when("approval_result", "reject", "rejection_reason")],
        ),
        "stamp": _schema(
            f"Ký số, đóng dấu {proc.result_vi.lower()}",
            "Signing and stamping the result",
            (
                Field(
                    "result_number",
                    f"Số {proc.result_vi.lower()}",
                    "Result document number",
                    example="123/2026",
                ),
                Field("stamped_by", "Người đóng dấu", "Stamped by", example="Lê Văn Cường", max_length=100),
            ),
        ),
        "return_result": _schema(
            "Trả kết quả",
            "Return of the result",
            (
                Field(
                    "return_channel",
                    "Hình thức trả kết quả",
                    "Return channel",
                    enum=("counter", "post", "online"),
                    enum_titles=("Tại bộ phận một cửa", "Qua bưu chính", "Trực tuyến"),
                    example="counter",
                ),
                Field(
                    "recipient_name",
                    "Người nhận kết quả",
                    "Recipient",
                    example="Nguyễn Văn An",
                    max_length=100,
                ),
            ),
        ),
    }
    if proc.lookups:
        forms["verify_registry"] = _schema(
            "Xác minh thông tin không khớp với CSDL dân cư",
            "Verification of data the population registry did not confirm",
            (
                Field(
                    "verified",
                    "Đã xác minh được thông tin",
                    "Information verified",
                    type="boolean",
                    example=True,
                ),
                Field(
                    "verification_note", "Kết quả xác minh", "Verification findings", example="Đã xác minh"
                ),
            ),
        )
    for i, step in enumerate(proc.steps):
        last = i == len(proc.steps) - 1
        fields = step.fields
        rules = None
        if last:
            fields += (
                Field(
                    "appraisal_result",
                    "Kết quả thẩm định",
                    "Appraisal outcome",
                    enum=("approve", "supplement", "reject"),
                    enum_titles=(
                        "Đủ điều kiện, trình phê duyệt",
                        "Yêu cầu bổ sung hồ sơ",
                        "Từ chối giải quyết",
                    ),
                    example="approve",
                ),
                Field("appraisal_note", "Nhận xét thẩm định", "Appraisal note", required=False),
                Field("supplement_request", "Giấy tờ cần bổ sung", "Documents to supply", required=False),
                Field("rejection_reason", "Lý do từ chối giải quyết", "Reason for rejection", required=False),
            )
            rules = [
                _required_when("appraisal_result", "supplement", "supplement_request"),
                _required_when("appraisal_result", "reject", "rejection_reason"),
            ]
        forms[step.id] = _schema(f"{step.name} — {proc.name_vi}", step.name_en, fields, rules)
    return forms


# =========================================================================== writing


def build(procedures: list[ProcedureModel], processes_dir: Path, forms_dir: Path) -> list[Path]:
    """Write every procedure's two models and its forms; returns the files written."""
    written: list[Path] = []
    for proc in procedures:
        folder = processes_dir / proc.code
        folder.mkdir(parents=True, exist_ok=True)
        for variant, graph in (("as-is", as_is_graph(proc)), ("to-be", to_be_graph(proc))):
            path = folder / f"{variant}.bpmn"
            path.write_bytes(render_bpmn(graph))
            written.append(path)
        form_folder = forms_dir / proc.code
        form_folder.mkdir(parents=True, exist_ok=True)
        for name, schema in forms_for(proc).items():
            path = form_folder / f"{name}.json"
            path.write_text(json.dumps(schema, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            written.append(path)
    return written


def main() -> None:
    from engine.config import PROJECT_ROOT

    from .catalog_procedures import PROCEDURES

    written = build(PROCEDURES, PROJECT_ROOT / "processes", PROJECT_ROOT / "forms")
    print(f"wrote {len(written)} files for {len(PROCEDURES)} procedures")


if __name__ == "__main__":
    main()
