"""Discrete-event simulation over the same parsed BPMN the runtime executes (see docs/simulation.md)."""

from .distributions import SimulationInputError, parse_distribution
from .model import SimModel, load_model
from .runner import SimulationRun, ci, comparison, run, summary
from .scenario import Scenario, load_scenario

__all__ = [
    "SimModel",
    "Scenario",
    "SimulationInputError",
    "SimulationRun",
    "ci",
    "comparison",
    "load_model",
    "load_scenario",
    "parse_distribution",
    "run",
    "summary",
]
