"""``motcua simulate``, ``motcua compare`` and ``motcua calibrate``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from engine.simulation import comparison, load_model, load_scenario, run, summary
from engine.simulation.prosimos import load_prosimos
from engine.simulation.report import html_report, write_event_log

from .common import echo_json


def _scenario(path: str, prosimos: bool):
    if prosimos:
        return load_prosimos(Path(path))
    return load_scenario(Path(path))


def _run(bpmn: str, sc, cases, replications, seed, warmup, log: bool, label: str):
    model = load_model(Path(bpmn))
    reps = replications if replications is not None else sc.replications
    n = (cases if cases is not None else sc.cases) + (warmup if warmup is not None else sc.warmup_cases)
    with click.progressbar(
        length=n * reps, label=f"{label} ({model.process_id})", file=click.get_text_stream("stderr")
    ) as bar:
        return run(
            model, sc, cases=cases, replications=reps, seed=seed, warmup=warmup, log=log, progress=bar.update
        )


def _options(f):
    for opt in reversed(
        [
            click.option(
                "--scenario", "scenario_path", required=True, type=click.Path(exists=True, dir_okay=False)
            ),
            click.option("--prosimos", is_flag=True, help="The scenario is Prosimos 2.x JSON parameters."),
            click.option("--cases", type=int, help="Cases per replication (after warm-up)."),
            click.option("--replications", type=int, help="Independent replications (95 % CIs over them)."),
            click.option("--seed", type=int, help="Seed; the same seed gives the same result."),
            click.option("--warmup", type=int, help="Cases simulated first and left out of the KPIs."),
            click.option("--json", "as_json", is_flag=True, help="Print the JSON report (times in seconds)."),
            click.option(
                "--report", "report_path", type=click.Path(dir_okay=False), help="Write an HTML report."
            ),
        ]
    ):
        f = opt(f)
    return f


def _print_summary(s: dict) -> None:
    k = s["kpis"]
    click.echo(
        f"{s['process_id']}: {s['settings']['cases']} cases x {s['settings']['replications']} replications"
    )
    for key in ("cycle_time", "cycle_working_time", "share_on_time", "trips", "compliance_cost_vnd"):
        if key in k:
            v = k[key]
            scale, unit = (3600, "h") if key.startswith("cycle") else (1, "")
            click.echo(
                f"  {key:22} {v['mean'] / scale:14,.3f}{unit}  "
                f"[{v['low'] / scale:,.3f}; {v['high'] / scale:,.3f}]"
            )
    for r in s["roles"]:
        click.echo(f"  utilisation {r['role']:16} {r['utilisation']['mean'] * 100:6.1f} %")
    p = s["performance"]
    click.echo(f"  {p['cases_per_second']:,.0f} cases/s, {p['events_per_second']:,.0f} events/s")


@click.command()
@click.argument("bpmn", type=click.Path(exists=True, dir_okay=False))
@_options
@click.option(
    "--log", "log_path", type=click.Path(dir_okay=False), help="Write the CSV event log (replication 1)."
)
def simulate(
    bpmn, scenario_path, prosimos, cases, replications, seed, warmup, as_json, report_path, log_path
):
    """Simulate a BPMN model under a scenario (docs/simulation.md)."""
    sc = _scenario(scenario_path, prosimos)
    result = _run(bpmn, sc, cases, replications, seed, warmup, bool(log_path), "simulating")
    s = summary(result)
    if log_path:
        with open(log_path, "w", encoding="utf-8", newline="") as handle:
            write_event_log(result, handle)
    if report_path:
        Path(report_path).write_text(html_report(summary=s), encoding="utf-8")
    if as_json:
        echo_json(s)
    else:
        _print_summary(s)


@click.command()
@click.option("--as-is", "as_is", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--to-be", "to_be", required=True, type=click.Path(exists=True, dir_okay=False))
@_options
@click.option(
    "--to-be-scenario",
    "to_be_scenario",
    type=click.Path(exists=True, dir_okay=False),
    help="A scenario for the to-be model (default: the same as the as-is).",
)
def compare(
    as_is,
    to_be,
    scenario_path,
    prosimos,
    cases,
    replications,
    seed,
    warmup,
    as_json,
    report_path,
    to_be_scenario,
):
    """Compare as-is and to-be on common random numbers; CIs on the paired difference."""
    sc = _scenario(scenario_path, prosimos)
    sc_to_be = _scenario(to_be_scenario, prosimos) if to_be_scenario else sc
    a = _run(as_is, sc, cases, replications, seed, warmup, False, "as-is")
    b = _run(to_be, sc_to_be, cases, replications, seed, warmup, False, "to-be")
    c = comparison(a, b)
    if report_path:
        Path(report_path).write_text(html_report(comparison=c), encoding="utf-8")
    if as_json:
        echo_json(c)
        return
    _print_summary(c["as_is"])
    _print_summary(c["to_be"])
    click.echo("difference (to-be minus as-is), 95 % CI:")
    for key, v in c["difference"].items():
        scale, unit = (3600, "h") if key.startswith("cycle") else (1, "")
        click.echo(
            f"  {key:22} {v['mean'] / scale:16,.3f}{unit}  "
            f"[{v['low'] / scale:,.3f}; {v['high'] / scale:,.3f}]"
        )
    if c["social_cost_saved_vnd_per_year"]:
        v = c["social_cost_saved_vnd_per_year"]
        click.echo(f"social cost saved per year: {v['mean']:,.0f} VND [{v['low']:,.0f}; {v['high']:,.0f}]")


@click.command()
@click.option("--log", "log_path", type=click.Path(exists=True, dir_okay=False), help="A CSV or XES log.")
@click.option(
    "--from-database",
    "process_id",
    metavar="PROCESS_ID",
    help="Read the engine's own event log of this process from the configured database.",
)
@click.option("--bpmn", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out_path", type=click.Path(dir_okay=False), help="Where to write the scenario JSON.")
@click.option("--cases", type=int, default=None, help="Cases to simulate when checking the fit.")
@click.option("--seed", type=int, default=1)
@click.option(
    "--calendar",
    default="always",
    type=click.Choice(["always", "weekday", "project"]),
    help="Fit durations in this calendar's working time (weekday: 07:30-11:30, 13:00-17:00, Mon-Fri).",
)
@click.option("--json", "as_json", is_flag=True)
def calibrate(log_path, process_id, bpmn, out_path, cases, seed, calendar, as_json):
    """Fit a scenario to an event log (CSV, XES or the engine's event log) and check the fit."""
    from engine.simulation.calibrate import calibrate as fit

    if bool(log_path) == bool(process_id):
        raise click.UsageError("give either --log FILE or --from-database PROCESS_ID")
    if process_id:
        from engine.services.simulation import event_log

        from .common import context

        log = event_log(context(), process_id)
    else:
        log = Path(log_path)
    result = fit(log, load_model(Path(bpmn)), cases=cases, seed=seed, calendar=calendar)
    text = json.dumps(result["scenario"], ensure_ascii=False, indent=2)
    if out_path:
        Path(out_path).write_text(text + "\n", encoding="utf-8")
    if as_json:
        echo_json(result)
        return
    if not out_path:
        click.echo(text)
    fit_ = result["fit"]
    click.echo(
        f"cycle time: log mean {fit_['log_cycle_time_mean'] / 3600:,.2f} h, simulated "
        f"{fit_['simulated_cycle_time_mean'] / 3600:,.2f} h; "
        f"Kolmogorov-Smirnov distance {fit_['ks_distance']:.3f}"
    )
    for row in fit_["activities"]:
        click.echo(
            f"  {row['activity']:28} log {row['log_per_case']:.3f}/case  "
            f"simulated {row['simulated_per_case']:.3f}"
        )


def register(main: click.Group) -> None:
    main.add_command(simulate)
    main.add_command(compare)
    main.add_command(calibrate)
