"""``motcua conformance PACK_DIR``: run the betsy BPMN conformance pack against motcua's engine."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from engine.conformance import run_pack

from .common import echo_json


@click.command()
@click.argument("pack_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--only", multiple=True, help="Run only these models (feature name or constraint id).")
def conformance(pack_dir: str, as_json: bool, only: tuple[str, ...]) -> None:
    """Deploy and run every feature model of the pack and check every constraint model is refused."""
    pack = Path(pack_dir)
    report = run_pack(
        pack,
        features=(pack / "features").is_dir(),
        constraints=(pack / "constraints").is_dir(),
        only=only or None,
    )
    if as_json:
        echo_json(report.to_dict())
    else:
        for c in report.constraints:
            state = "refused" if c.refused else "ACCEPTED"
            named = "names rule" if c.named_rule else "rule not named"
            click.echo(f"constraint {c.file}: {state}, {named} ({', '.join(c.codes) or 'no error'})")
        total = len(report.constraints)
        if total:
            click.echo(
                f"constraints: {report.refused_constraints}/{total} refused, "
                f"{report.named_constraints}/{total} with the broken rule named"
            )
        for case in report.cases:
            verdict = "PASS" if case.passed else "FAIL"
            line = f"{verdict} {case.case_id}"
            if not case.passed:
                line += f": expected {sorted(case.expected)}, got {sorted(case.actual)}"
                if case.detail:
                    line += f" ({case.detail[:200]})"
            click.echo(line)
        click.echo(f"{report.passed} passed, {report.failed} failed")
    sys.exit(0 if report.failed == 0 else 1)


def register(main: click.Group) -> None:
    main.add_command(conformance)
