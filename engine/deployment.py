"""Process versions: content identity and the per-version cache of parsed specs."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable

from .bpmn.model import ProcessModel
from .bpmn.validation import SourceFile, load_documents, parse_process
from .errors import ProcessError


def content_hash(files: Iterable[SourceFile]) -> str:
    """Identity of a deployment: the same bytes give the same hash, whatever the files are called."""
    digests = sorted(hashlib.sha256(f.content).hexdigest() for f in files)
    return hashlib.sha256("\n".join(digests).encode()).hexdigest()


def file_kind(filename: str) -> str:
    lower = filename.lower()
    if lower.endswith(".dmn"):
        return "dmn"
    if lower.endswith(".json"):
        return "form"
    return "bpmn"


class SpecCache:
    """Parsed process models by version id, so no request ever parses BPMN twice.

    Versions are immutable, so an entry never goes stale; the cache is bounded (least recently used
    versions are dropped) and safe to share between threads.
    """

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[int, ProcessModel] = OrderedDict()
        self._lock = threading.Lock()
        self.parses = 0

    def get(self, version_id: int, load: Callable[[], tuple[str, list[SourceFile]]]) -> ProcessModel:
        with self._lock:
            model = self._entries.get(version_id)
            if model is not None:
                self._entries.move_to_end(version_id)
                return model
        process_id, files = load()
        model = self.parse(process_id, files)
        self.put(version_id, model)
        return model

    def put(self, version_id: int, model: ProcessModel) -> None:
        with self._lock:
            self._entries[version_id] = model
            self._entries.move_to_end(version_id)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def parse(self, process_id: str, files: list[SourceFile]) -> ProcessModel:
        self.parses += 1
        docs, problems = load_documents([f for f in files if file_kind(f.filename) != "form"])
        if problems:
            raise ProcessError(f"stored model for {process_id} cannot be read: {problems[0]}")
        return parse_process(docs, process_id)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
