"""Workflow state to JSON and back, without the spec.

The spec is stored once per process version and cached parsed; a dossier's row holds only its task
tree and data, so saving and loading a dossier never touches the BPMN.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import threading
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.bpmn.serializer.workflow import VERSION, BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from .model import ProcessModel

STATE_FORMAT = f"spiff-{VERSION}-nospec"


class _StateOnlyConverter(BpmnWorkflowConverter):
    def to_dict(self, workflow: BpmnWorkflow) -> dict:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def restore_with(self, dct: dict, model: ProcessModel, script_engine) -> BpmnWorkflow:
        workflow = BpmnWorkflow(
            model.spec, model.subprocess_specs, script_engine=script_engine, deserializing=True
        )
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class StateCodec:
    """Serialises a running workflow's state; thread-safe."""

    format = STATE_FORMAT

    def __init__(self) -> None:
        config = {cls: conv for cls, conv in SPIFF_CONFIG.items() if cls is not BpmnWorkflow}
        self.registry = BpmnWorkflowSerializer.configure(config)
        self._converter = _StateOnlyConverter(BpmnWorkflow, self.registry)
        self.registry.register(
            dt.date, lambda v: {"value": v.isoformat()}, lambda v: dt.date.fromisoformat(v["value"]), "date"
        )
        self.registry.register(
            decimal.Decimal, lambda v: {"value": str(v)}, lambda v: decimal.Decimal(v["value"]), "Decimal"
        )
        self._encoder = create_encoder(self.registry, None)
        self._lock = threading.Lock()

    def dumps(self, workflow: BpmnWorkflow) -> str:
        with self._lock:
            self.registry._encoder_mode = True
            try:
                return json.dumps(self._converter.to_dict(workflow), cls=self._encoder, separators=(",", ":"))
            finally:
                self.registry._encoder_mode = False

    def loads(self, state: str, model: ProcessModel, script_engine) -> BpmnWorkflow:
        return self._converter.restore_with(json.loads(state), model, script_engine)
