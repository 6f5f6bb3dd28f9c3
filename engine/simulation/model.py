"""Loading a BPMN file for simulation through the same validation the runtime deploys with."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from engine.bpmn.model import ProcessModel
from engine.bpmn.validation import SourceFile, load_documents, validate
from engine.bpmn.xml import NSMAP

from .distributions import SimulationInputError


@dataclass
class SimModel:
    """A validated process plus the sequence-flow ids SpiffWorkflow's specs do not keep."""

    process: ProcessModel
    flows: dict[tuple[str, str], str] = field(default_factory=dict)  # (source id, target id) -> flow id
    flow_names: dict[str, str] = field(default_factory=dict)

    @property
    def process_id(self) -> str:
        return self.process.process_id


def load_model(files: Iterable[SourceFile] | str | Path, process_id: str | None = None) -> SimModel:
    """Validate and parse BPMN (a path or SourceFiles); refuse a model that would not deploy."""
    if isinstance(files, str | Path):
        path = Path(files)
        files = [SourceFile(path.name, path.read_bytes())]
    files = list(files)
    result = validate(files, process_id=process_id)
    if not result.ok:
        problems = "; ".join(str(d) for d in result.errors[:10])
        raise SimulationInputError(f"Mô hình không hợp lệ / the model is not valid: {problems}")
    docs, _ = load_documents(files)
    flows: dict[tuple[str, str], str] = {}
    names: dict[str, str] = {}
    for doc in docs:
        if doc.kind != "bpmn":
            continue
        for flow in doc.root.iter(f"{{{NSMAP['bpmn']}}}sequenceFlow"):
            flows[(flow.get("sourceRef"), flow.get("targetRef"))] = flow.get("id")
            if flow.get("name"):
                names[flow.get("id")] = flow.get("name")
    return SimModel(result.process, flows, names)
