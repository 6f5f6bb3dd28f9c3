"""Restored workflows kept in memory between the steps of a dossier.

Restoring a task tree from JSON is a large share of the cost of a step. After a step commits, the
workflow object is kept under the state version it was saved as; the next step takes it back only if
the stored state still has that version (and the spec is the one cached for the process version).
Any change made elsewhere — another process, another worker — bumps the version, so a stale entry is
never used: the database stays the source of truth and this is purely a shortcut.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

from .model import ProcessModel


class WorkflowCache:
    """A bounded LRU of restored workflows keyed by dossier; entries are taken out while in use."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._entries: OrderedDict[int, tuple[int, int, BpmnWorkflow]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, dossier_id: int, version: int, model: ProcessModel) -> BpmnWorkflow | None:
        """The workflow saved as ``version`` of this dossier, removed from the cache; else None."""
        if self.size <= 0:
            return None
        with self._lock:
            entry = self._entries.pop(dossier_id, None)
        if entry is None:
            return None
        saved_version, spec_id, workflow = entry
        if saved_version != version or spec_id != id(model.spec):
            return None
        return workflow

    def put(self, dossier_id: int, version: int, model: ProcessModel, workflow: BpmnWorkflow) -> None:
        """Keep ``workflow`` as the committed state ``version`` of the dossier."""
        if self.size <= 0:
            return
        with self._lock:
            self._entries[dossier_id] = (version, id(model.spec), workflow)
            self._entries.move_to_end(dossier_id)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def discard(self, dossier_id: int) -> None:
        with self._lock:
            self._entries.pop(dossier_id, None)

    def __len__(self) -> int:
        return len(self._entries)
