"""The procedure catalog shipped in processes/: one folder per procedure."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .bpmn.validation import SourceFile


@dataclass(frozen=True)
class CatalogModel:
    """One deployable model of a procedure (a BPMN file with the DMN files beside it)."""

    procedure: str
    variant: str
    files: tuple[SourceFile, ...]


def discover(processes_dir: Path) -> list[CatalogModel]:
    """Every BPMN model in the catalog, in a stable order."""
    found: list[CatalogModel] = []
    if not processes_dir.is_dir():
        return found
    for folder in sorted(p for p in processes_dir.iterdir() if p.is_dir()):
        dmn = tuple(SourceFile(p.name, p.read_bytes()) for p in sorted(folder.glob("*.dmn")))
        for bpmn in sorted(folder.glob("*.bpmn")):
            found.append(
                CatalogModel(folder.name, bpmn.stem, (SourceFile(bpmn.name, bpmn.read_bytes()), *dmn))
            )
    return found
