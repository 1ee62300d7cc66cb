"""modsched risk (issue 25): uncertain inputs, retime and resolve samples, outputs.

The small project: one site, one factory slot, one electrical crew, two skids. Calendar
mon-fri from Monday 2027-01-04 (day 0); the grid (10 MW, permanent) comes on 2027-02-01,
day 20. Each skid: build 5 (factory), ship 2, hookup 3 (the crew), test 2 (the crew,
permanent power, energises 1 MW). The plan: builds 0-5 and 5-10 (one slot), ships 5-7
and 10-12, hookups 7-10 and 12-15, tests wait for the grid: 20-22 and 22-24 (one crew).
RFS (target 2027-03-01) is day 23, Thursday 2027-02-04.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from scheduler.cli import app
from scheduler.instance import Solution
from scheduler.pipeline import plan_project, write_outputs
from scheduler.risk.executors import run_local, sample_risk
from scheduler.risk.report import risk_table, samples_table
from scheduler.risk.retime import retime
from scheduler.risk.run import (
    Mode,
    baseline_days,
    chunks,
    prepare_risk,
    run_chunk,
    run_sample,
)
from scheduler.risk.uncertainty import Z90, Input, _quantile, draw, perturb, planned
from scheduler.solvers.budget import SolveOptions
from scheduler.validate import validate

CATALOG = """\
id: skid
load_mw: 1
tasks:
  - {{id: build, duration: {build}, factory: true}}
  - {{id: ship, duration: 2, after: [build]}}
  - {{id: hookup, duration: 3, after: [ship], needs: {{electrical: 1}}}}
  - id: test
    duration: 2
    after: [hookup]
    needs: {{electrical: 1}}
    energises: true
    power_gate: permanent
    retest: {retest}
"""

PROJECT = """\
program: {{name: risk test, start: 2027-01-04}}
catalog: catalog.yaml
sites:
  - id: s1
    power:
      - {{name: grid, kind: permanent, mw: 10, from: 2027-02-01, slip: {slip}}}
factories: [{{id: f1, slots: 1}}]
crews:
  - {{id: el, skills: [electrical], count: 1}}
deployments:
  - {{id: d1, site: s1, module: skid, quantity: 2, factory: f1, delivery_delay: {delay}}}
milestones:
  - {{id: rfs, after: [d1], target: 2027-03-01}}
correlation_groups: [{{id: utility, correlation: 1.0}}]
"""

COLLAPSED = {
    "build": "{min: 5, mode: 5, max: 5}",
    "retest": "{probability: 0, days: 3}",
    "slip": "{min: 0, mode: 0, max: 0, group: utility}",
    "delay": "{task: ship, min: 0, mode: 0, max: 0}",
}


FOUR_DAYS = "  - id: s1\n    calendar: {workdays: [mon, tue, wed, thu]}\n"


def write_project(folder: Path, four_days: bool = False, **changes: str) -> Path:
    """The project; ``four_days``: the site works Monday to Thursday (issue 24)."""
    values = {**COLLAPSED, **changes}
    (folder / "catalog.yaml").write_text(CATALOG.format(**values))
    path = folder / "project.yaml"
    text = PROJECT.format(**values)
    path.write_text(text.replace("  - id: s1\n", FOUR_DAYS) if four_days else text)
    return path


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plan of the collapsed project (CP-SAT, left-justified), as schedule.json."""
    folder = tmp_path_factory.mktemp("baseline")
    outcome = plan_project(write_project(folder), SolveOptions(time_limit=5, workers=1))
    write_outputs(outcome.schedule, folder)
    assert outcome.schedule.milestones[0].day == 23
    return folder / "schedule.json"


def run(project: Path, baseline: Path, samples: int = 20, mode: Mode = Mode.RETIME):
    problem = prepare_risk(project, baseline, mode, seed=7)
    return sample_risk(problem, samples, threading.Event(), processes=1)


def test_every_input_at_its_mode_gives_the_baseline(tmp_path: Path, baseline: Path) -> None:
    table = risk_table(run(write_project(tmp_path), baseline))
    rfs = table.set_index("milestone").loc["rfs"]
    assert rfs["p10"] == rfs["p50"] == rfs["p80"] == rfs["p90"] == rfs["baseline"] == "2027-02-04"
    assert rfs["prob_on_time"] == 1.0


def test_a_slip_moves_the_tests(tmp_path: Path, baseline: Path) -> None:
    """7 calendar days: the grid on Monday 2027-02-08 (day 25); tests 25-27 and 27-29;
    RFS day 28, Thursday 2027-02-11, in every sample."""
    project = write_project(tmp_path, slip="{min: 7, mode: 7, max: 7}")
    rfs = risk_table(run(project, baseline)).set_index("milestone").loc["rfs"]
    assert rfs["p10"] == rfs["p90"] == "2027-02-11"


def test_retime_keeps_the_crews_order_and_resolve_relevels(tmp_path: Path, baseline: Path) -> None:
    """Ships 10 working days late: skid 1 ships 5-17, hooks up 17-20; skid 2 ships 10-22,
    hooks up 22-25. Retime keeps the crew's order (hookup 1, hookup 2, test 1, test 2):
    tests 25-27 and 27-29, RFS day 28 (2027-02-11). Resolve tests skid 1 first, 20-22,
    then hookup 2 22-25 and test 2 25-27: RFS day 26 (2027-02-09)."""
    project = write_project(tmp_path, delay="{task: ship, min: 10, mode: 10, max: 10}")
    retimed = risk_table(run(project, baseline, 3)).set_index("milestone").loc["rfs"]
    assert retimed["p50"] == "2027-02-11"
    resolved = risk_table(run(project, baseline, 2, Mode.RESOLVE)).set_index("milestone")
    assert resolved.loc["rfs", "p50"] == "2027-02-09"


def test_retimed_samples_pass_the_validator(tmp_path: Path, baseline: Path) -> None:
    project = write_project(
        tmp_path,
        build="{min: 3, mode: 5, max: 12, dist: uniform}",
        slip="{p50_days: 10, p90_days: 30}",
        delay="{task: ship, min: 0, mode: 2, max: 9}",
        retest="{probability: 0.5, days: 3}",
    )
    problem = prepare_risk(project, baseline)
    for k in range(30):
        instance = perturb(
            problem.instance, problem.uncertainty, draw(problem.uncertainty, 1, k), problem.calendar
        )
        retimed = retime(instance, problem.sequence)
        assert validate(instance, Solution(retimed.starts, list(problem.sequence.crews))) == []


def test_retime_on_a_site_calendar(tmp_path: Path) -> None:
    """A Monday-to-Thursday site: the plan's own inputs give the plan back, task for task,
    and drawn samples start their site tasks on Mondays to Thursdays only (the validator's
    `calendar` rule) and pass every other rule."""
    project = write_project(tmp_path, four_days=True)
    outcome = plan_project(project, SolveOptions(time_limit=5, workers=1))
    write_outputs(outcome.schedule, tmp_path)
    problem = prepare_risk(project, tmp_path / "schedule.json")
    same = perturb(
        problem.instance, problem.uncertainty, planned(problem.uncertainty), problem.calendar
    )
    assert retime(same, problem.sequence).starts == problem.baseline.starts
    assert run_sample(problem, -1, planned(problem.uncertainty)).days == baseline_days(problem)
    drawn = write_project(
        tmp_path,
        four_days=True,
        build="{min: 3, mode: 5, max: 12}",
        delay="{task: ship, min: 0, mode: 2, max: 9}",
        slip="{min: 0, mode: 3, max: 20}",
        retest="{probability: 0.5, days: 3}",
    )
    problem = prepare_risk(drawn, tmp_path / "schedule.json")
    for k in range(20):
        values = draw(problem.uncertainty, 4, k)
        instance = perturb(problem.instance, problem.uncertainty, values, problem.calendar)
        retimed = retime(instance, problem.sequence)
        assert validate(instance, Solution(retimed.starts, list(problem.sequence.crews))) == []


def test_quantiles() -> None:
    """The lognormal's median is p50 and its 90th percentile p90; the triangular's
    quantiles invert its CDF (min 0, mode 5, max 10: the median is the mode)."""
    slip = Input("s", "slip", (0,), "lognormal", np.log(20), np.log(60 / 20) / Z90, 0)
    assert _quantile(slip, 0.0) == 20
    assert _quantile(slip, Z90) == 60
    assert _quantile(Input("d", "duration", (0,), "triangular", 0, 5, 10), 0.0) == 5
    assert _quantile(Input("r", "retest", (0,), "bernoulli", 0.5, 0, 3), -0.1) == 1


def test_a_group_moves_together(tmp_path: Path, baseline: Path) -> None:
    """Correlation 1: the slip and the delivery delay (same spread) draw the same value."""
    spread = "min: 0, mode: 5, max: 30, group: utility"
    project = write_project(tmp_path, slip=f"{{{spread}}}", delay=f"{{task: ship, {spread}}}")
    problem = prepare_risk(project, baseline)
    names = problem.uncertainty.names
    for k in range(10):
        values = dict(zip(names, draw(problem.uncertainty, 3, k), strict=True))
        assert values["slip s1/grid"] == values["delivery d1/ship"]


def test_same_seed_same_samples_on_any_number_of_processes(tmp_path: Path, baseline: Path) -> None:
    project = write_project(tmp_path, build="{min: 3, mode: 5, max: 12}")
    problem = prepare_risk(project, baseline, seed=11)
    one = run_local(problem, chunks(40, 40), 1, threading.Event())
    two = run_local(problem, chunks(40, 3), 2, threading.Event())
    assert [s.days for s in one] == [s.days for s in two]
    assert len({s.days for s in one}) > 1


def _killed_first_time(marker: Path, problem, samples):
    """A chunk's work that kills its process the first time any chunk holding sample 7
    runs (``marker`` remembers it across processes), as the out-of-memory killer would."""
    import os
    import signal

    from scheduler.risk.run import run_chunk

    if 7 in samples and (marker is None or not marker.exists()):
        if marker is not None:
            marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return run_chunk(problem, samples)


def test_a_chunk_whose_process_is_killed_runs_again(
    tmp_path: Path, baseline: Path, monkeypatch
) -> None:
    """Killed once: run again, every sample as in one process. Killed every time: after
    RESUBMITS more tries, one line naming the samples (the run never waits forever)."""
    import functools

    import scheduler.risk.executors as executors
    from scheduler.workers import WorkerDied

    project = write_project(tmp_path, build="{min: 3, mode: 5, max: 12}")
    problem = prepare_risk(project, baseline, seed=11)
    one = run_local(problem, chunks(20, 20), 1, threading.Event())
    once = functools.partial(_killed_first_time, tmp_path / "killed")
    monkeypatch.setattr(executors, "run_chunk", once)
    two = run_local(problem, chunks(20, 4), 2, threading.Event())
    assert (tmp_path / "killed").exists()
    assert [(s.sample, s.days) for s in one] == [(s.sample, s.days) for s in two]
    monkeypatch.setattr(executors, "run_chunk", functools.partial(_killed_first_time, None))
    with pytest.raises(WorkerDied) as caught:
        run_local(problem, chunks(20, 4), 2, threading.Event())
    assert str(caught.value) == (
        f"risk: the samples 4 to 7 killed their process {executors.RESUBMITS + 1} times "
        "(out of memory?); nothing written"
    )


def test_a_stop_keeps_the_chunks_done(tmp_path: Path, baseline: Path) -> None:
    problem = prepare_risk(write_project(tmp_path), baseline)
    stop = threading.Event()
    done = run_local(problem, chunks(30, 10), 1, stop, lambda n, _: stop.set())
    assert [s.sample for s in done] == list(range(10))


def test_samples_csv_rows(tmp_path: Path, baseline: Path) -> None:
    table = samples_table(run(write_project(tmp_path), baseline, 2))
    assert list(table.columns) == ["sample", "milestone", "date", "day", "late_days", "repeatable"]
    assert table.iloc[0].to_dict() == {
        "sample": 0,
        "milestone": "rfs",
        "date": "2027-02-04",
        "day": 23,
        "late_days": 0,
        "repeatable": True,
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"slip": "{min: 0, mode: 0, max: 0, group: nobody}"},
            "project.yaml: sites[0].power[0].slip.group (line 6, column 104): unknown "
            "correlation group 'nobody' (correlation_groups)",
        ),
        (
            {"delay": "{task: fly, min: 0, mode: 0, max: 0}"},
            "project.yaml: deployments[0].delivery_delay.task (line 11, column 87): deployment "
            "'d1': module 'skid' has no task 'fly' (its tasks: build, ship, hookup, test)",
        ),
        (
            {"slip": "{p50_days: 5, p90_days: 9, min: 0, mode: 0, max: 0}"},
            "project.yaml: sites[0].power[0].slip (line 6, column 71): give either "
            "{p50_days, p90_days} or {min, mode, max}",
        ),
        (
            {"slip": "{p50_days: 9, p90_days: 5}"},
            "project.yaml: sites[0].power[0].slip (line 6, column 71): p90_days 5 is below "
            "p50_days 9",
        ),
        (
            {"build": "{min: 6, mode: 5, max: 9}"},
            "catalog.yaml: tasks[0].duration (line 4, column 27): needs min <= mode <= max, "
            "got min 6, mode 5, max 9",
        ),
        (
            {"retest": "{probability: 1.5, days: 3}"},
            "catalog.yaml: tasks[3].retest.probability (line 13, column 27): Input should be "
            "less than or equal to 1 (got 1.5)",
        ),
    ],
)
def test_bad_uncertainty_is_one_line_and_exit_2(
    tmp_path: Path, baseline: Path, changes: dict[str, str], message: str
) -> None:
    project = write_project(tmp_path, **changes)
    result = CliRunner().invoke(
        app, ["risk", str(project), "--baseline", str(baseline), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2, result.output
    assert result.output.strip() == f"{tmp_path}/{message}"


def test_retest_only_on_tests(tmp_path: Path) -> None:
    (tmp_path / "catalog.yaml").write_text(
        "id: skid\ntasks:\n  - {id: build, duration: 5, retest: {probability: 0.1, days: 2}}\n"
    )
    result = CliRunner().invoke(app, ["validate", str(write_project_only(tmp_path))])
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"{tmp_path / 'catalog.yaml'}: tasks[0] (line 3, column 5): retest is only for test "
        "tasks (L3-L5: power_gate any, temporary or permanent)"
    )


def write_project_only(folder: Path) -> Path:
    path = folder / "project.yaml"
    path.write_text(
        PROJECT.format(**COLLAPSED).replace(
            "delivery_delay: {task: ship, min: 0, mode: 0, max: 0}", "delivery_delay: null"
        )
    )
    return path


def test_risk_command_writes_and_stores(tmp_path: Path, baseline: Path) -> None:
    project = write_project(tmp_path, build="{min: 3, mode: 5, max: 12}")
    store, out = tmp_path / "runs.sqlite", tmp_path / "risk"
    runner = CliRunner()
    args = ["risk", str(project), "--baseline", str(baseline), "--out", str(out)]
    result = runner.invoke(app, [*args, "--samples", "30", "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "criticality.csv",
        "risk.csv",
        "risk.html",
        "samples.csv",
    ]
    first = (out / "risk.csv").read_text()
    assert first.splitlines()[0] == (
        "milestone,target,p10,p50,p80,p90,mean,prob_on_time,baseline,samples"
    )
    result = runner.invoke(app, [*args, "--samples", "30", "--force", "--processes", "2"])
    assert result.exit_code == 0, result.output
    assert (out / "risk.csv").read_text() == first
    result = runner.invoke(app, ["history", str(store)])
    assert result.exit_code == 0, result.output
    assert "risk" in result.output
    result = runner.invoke(app, ["diff", "1", "1", "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert "+0" in result.output
    result = runner.invoke(app, ["diff", "1", "9", "--store", str(store)])
    assert result.exit_code == 2
    assert result.output.strip() == f"{store}: no run 9 (modsched history lists them)"


def test_resolve_samples_match_run_chunk(tmp_path: Path, baseline: Path) -> None:
    """A sample is a pure function of (problem, seed, number): chunked or not."""
    project = write_project(tmp_path, build="{min: 3, mode: 5, max: 12}")
    problem = prepare_risk(project, baseline, Mode.RESOLVE, seed=2, sample_limit=2)
    assert [s.days for s in run_chunk(problem, [3])] == [
        s.days for s in run_chunk(problem, [2, 3])[1:]
    ]


def test_a_resolve_the_limit_ended_is_marked_and_counted(
    tmp_path: Path, baseline: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A resolved sample whose solve says it may not repeat (as when --sample-limit ends
    its deterministic work: `solver.repeatable` False) is marked in samples.csv, and the
    terminal counts such samples; the others stay True."""
    from dataclasses import replace

    from scheduler.risk import run as risk_run

    real = risk_run.solve_plan

    def cut_odd_samples(instance, options, **kwargs):
        solved = real(instance, options, **kwargs)
        cut = cut_odd_samples.calls % 2 == 1  # type: ignore[attr-defined]
        cut_odd_samples.calls += 1  # type: ignore[attr-defined]
        result = replace(solved.result, repeatable=False) if cut else solved.result
        return replace(solved, result=result)

    cut_odd_samples.calls = 0  # type: ignore[attr-defined]
    monkeypatch.setattr(risk_run, "solve_plan", cut_odd_samples)
    project = write_project(tmp_path, build="{min: 3, mode: 5, max: 12}")
    out = tmp_path / "risk"
    args = ["risk", str(project), "--baseline", str(baseline), "--out", str(out)]
    options = ["--samples", "4", "--mode", "resolve", "--processes", "1"]
    result = CliRunner().invoke(app, [*args, *options])
    assert result.exit_code == 0, result.output
    rows = (out / "samples.csv").read_text().splitlines()
    assert [row.rsplit(",", 1)[1] for row in rows] == [
        "repeatable",
        "True",
        "True",
        "False",
        "False",
        "True",
        "True",
        "False",
        "False",
    ]
    assert (
        "2 of 4 resolved samples were ended by --sample-limit before their deterministic "
        "work: another run may date them otherwise; a longer --sample-limit repeats them"
    ) in " ".join(result.output.split())


# `modsched` in a process that touches a file (argv[1]) once a chunk of samples is done, so
# that the test interrupts it mid-run however slow the machine (not after a guessed sleep)
SAMPLING = """
import signal
import sys
from pathlib import Path
from scheduler.risk import executors
from scheduler.cli import main

flag, report = Path(sys.argv.pop(1)), executors._report

def announced(*args):
    flag.touch()
    return report(*args)

executors._report = announced
signal.signal(signal.SIGINT, signal.default_int_handler)
sys.argv[0] = "modsched"
main()
"""


def test_ctrl_c_keeps_the_samples_done(tmp_path: Path, baseline: Path) -> None:
    project = write_project(tmp_path, build="{min: 3, mode: 5, max: 12}")
    out, flag = tmp_path / "out", tmp_path / "sampled"
    args = ["risk", str(project), "--baseline", str(baseline), "--out", str(out)]
    process = subprocess.Popen(
        [sys.executable, "-c", SAMPLING, str(flag), *args, "--samples", "1000000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for _ in range(6000):  # a guard against a hung run, not a bound on its speed
        if flag.exists():
            break
        assert process.poll() is None, process.communicate()
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 130, stderr
    kept = re.search(r"interrupted: kept the (\d+) of 1000000 samples done", stderr)
    assert kept, stderr
    rows = (out / "risk.csv").read_text().splitlines()
    assert rows[1].endswith(f",{kept.group(1)}")  # rfs: samples


def test_schedule_and_risk_runs_in_one_store(tmp_path: Path, baseline: Path) -> None:
    """A plan and a risk run of the same project: diff shows the P80 against the plan."""
    project = write_project(tmp_path, slip="{min: 7, mode: 7, max: 7}")
    store = tmp_path / "runs.sqlite"
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["schedule", str(project), "--out", str(tmp_path / "plan"), "--store", str(store)],
    )
    assert result.exit_code == 0, result.output
    args = ["risk", str(project), "--baseline", str(baseline), "--out", str(tmp_path / "r")]
    result = runner.invoke(app, [*args, "--samples", "5", "--store", str(store)])
    assert result.exit_code == 0, result.output
    from scheduler.store import diff, history

    runs = history(store)
    assert [r.kind for r in runs] == ["schedule", "risk"]
    assert set(runs[0].inputs) == {str(project), str(tmp_path / "catalog.yaml")}
    assert set(runs[1].inputs) == {*runs[0].inputs, str(baseline)}
    rfs = next(row for row in diff(store, 1, 2) if row.milestone == "rfs")
    assert (rfs.a, rfs.b, rfs.days) == ("2027-02-04", "2027-02-11", 7)  # the slip's week


def test_a_file_that_is_no_store(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sqlite"
    bad.write_text("not a database, but long enough to be read as one " * 20)
    result = CliRunner().invoke(app, ["history", str(bad)])
    assert result.exit_code == 2
    assert result.output.startswith(f"{bad}: not a modsched store (")


@settings(max_examples=25)
@given(
    build=st.tuples(st.integers(1, 6), st.integers(0, 6), st.integers(0, 20)),
    slip=st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(0, 60)),
    delay=st.integers(0, 15),
    retest=st.floats(0, 1),
    dist=st.sampled_from(["triangular", "uniform"]),
    seed=st.integers(0, 2**31 - 1),
)
def test_every_retimed_sample_is_a_valid_plan(
    tmp_path_factory: pytest.TempPathFactory,
    baseline: Path,
    build: tuple[int, int, int],
    slip: tuple[int, int, int],
    delay: int,
    retest: float,
    dist: str,
    seed: int,
) -> None:
    """Any spreads, slips, delays and retests: each sample re-timed in the baseline's
    order passes the validator, and its crews are the baseline's."""
    low, mode, high = build[0], build[0] + build[1], build[0] + build[1] + build[2]
    first, peak, last = slip[0], slip[0] + slip[1], slip[0] + slip[1] + slip[2]
    project = write_project(
        tmp_path_factory.mktemp("p"),
        build=f"{{min: {low}, mode: {mode}, max: {high}, dist: {dist}}}",
        slip=f"{{min: {first}, mode: {peak}, max: {last}, group: utility}}",
        delay=f"{{task: ship, min: 0, mode: 0, max: {delay}}}",
        retest=f"{{probability: {retest}, days: 3}}",
    )
    problem = prepare_risk(project, baseline, seed=seed)
    for result in run_chunk(problem, list(range(5))):
        values = draw(problem.uncertainty, seed, result.sample)
        instance = perturb(problem.instance, problem.uncertainty, values, problem.calendar)
        retimed = retime(instance, problem.sequence)
        crews = list(problem.sequence.crews)
        assert validate(instance, Solution(retimed.starts, crews)) == []
        assert result.days is not None and result.days[0] == max(retimed.ends) - 1


def test_whatif_records_each_scenario(tmp_path: Path, baseline: Path) -> None:
    project = write_project(tmp_path)
    scenario = tmp_path / "late-grid.yaml"
    scenario.write_text(
        "name: grid a week late\nstatus_date: 2027-01-04\n"
        "changes:\n  - power: {site: s1, supply: grid, from: 2027-02-08}\n"
    )
    store = tmp_path / "runs.sqlite"
    args = ["whatif", str(project), "--baseline", str(baseline), "--scenario", str(scenario)]
    args += ["--out", str(tmp_path / "w"), "--time-limit", "5", "--workers", "1"]
    result = CliRunner().invoke(app, [*args, "--processes", "1", "--store", str(store)])
    assert result.exit_code == 0, result.output
    from scheduler.store import history, milestones

    (run,) = history(store)
    assert (run.kind, run.detail["scenario"]) == ("whatif", "grid a week late")
    assert str(scenario) in run.inputs
    rfs = next(m for m in milestones(store, run.id) if m.milestone == "rfs")
    assert rfs.date == "2027-02-11"  # tests 25-27 and 27-29 (module docstring)
