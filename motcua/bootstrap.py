"""The composition root: turns settings into a ready :class:`~engine.context.Context`.

The CLI, the web app factory and the workers all start here, so every entry point runs the same
engine with the same operators, policies and listeners.
"""

from __future__ import annotations

from engine.bpmn.operators import OperatorRegistry, default_operators
from engine.bpmn.rules import RuleContext
from engine.bpmn.runtime import ProcessRuntime
from engine.bpmn.sandbox import SandboxPolicy
from engine.clock import Clock
from engine.config import Settings
from engine.context import Context, build_context
from engine.forms import install_forms
from engine.population import install_population, register_population_operators
from engine.services.dossiers import install_lifecycle
from engine.store.db import Database


def operators(settings: Settings) -> OperatorRegistry:
    """Every service-task operator this installation offers to models."""
    registry = default_operators()
    register_population_operators(registry)
    return registry


def sandbox_policy(settings: Settings) -> SandboxPolicy:
    return SandboxPolicy()


def rule_context(settings: Settings) -> RuleContext:
    """What validation knows without a database (for ``motcua validate``)."""
    runtime = ProcessRuntime(policy=sandbox_policy(settings), operators=operators(settings))
    return RuleContext(known_operators=runtime.operators.names(), allowed_names=runtime.policy.allowed_names)


def bootstrap(
    settings: Settings | None = None,
    *,
    migrate: bool = False,
    clock: Clock | None = None,
    database: Database | None = None,
) -> Context:
    settings = settings or Settings.from_env()
    ctx = build_context(
        settings,
        clock=clock,
        operators=operators(settings),
        policy=sandbox_policy(settings),
        database=database,
    )
    # Feature wiring: each feature installs its listeners, policies and operators here, one call each.
    install_lifecycle(ctx)
    install_forms(ctx)
    from engine.services.sla import install_sla  # noqa: I001 - one line per feature

    install_sla(ctx)
    install_population(ctx)

    if migrate:
        from engine.store.migrate import upgrade

        upgrade(ctx.db.engine)
    return ctx
