"""scheduler/replanning/compare.py: `modsched whatif` compares scenarios against a baseline
(comparison.csv and comparison.html)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from scheduler.cli import app
from scheduler.errors import InputError
from scheduler.replanning.compare import _replan_one as REPLAN_ONE
from scheduler.solvers.budget import SolveOptions

DATA = Path(__file__).parent / "data"
PROJECT = str(DATA / "complete.yaml")
runner = CliRunner()


def whatif(base: Path, scenarios: list[str], out: Path, *more: str):
    """`modsched whatif` of PROJECT against the plan in folder ``base``, 10 s, into ``out``."""
    args = ["whatif", PROJECT, "--baseline", str(base / "schedule.json")]
    args += [a for s in scenarios for a in ("--scenario", s)]
    return runner.invoke(app, [*args, "--out", str(out), "--time-limit", "10", *more])


def test_whatif_compares_scenarios(tmp_path):
    """Two scenarios in two processes against an optimal baseline: each only takes power or
    crews away after the status date, so neither can end less late than the baseline."""
    base = tmp_path / "base"
    assert runner.invoke(app, ["schedule", PROJECT, "--out", str(base)]).exit_code == 0
    assert json.loads((base / "schedule.json").read_text())["solver"]["status"] == "OPTIMAL"
    out = tmp_path / "whatif"
    scenarios = [str(DATA / "scenarios" / n) for n in ("power-slip.yaml", "crew-out.yaml")]
    result = whatif(base, scenarios, out)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "comparison.csv")
    assert list(table.scenario) == [
        "baseline",
        "s1 utility slips 4 weeks",
        "cx crew out for two weeks",
    ]
    assert list(table.status) == ["-", "OPTIMAL", "OPTIMAL"]
    assert (table.weighted_tardiness[1:] >= table.weighted_tardiness[0]).all()
    # utility at s1 from Monday 2027-03-15: s1-rfs (target Fri 02-26, weight 10) ends on
    # 03-16, 12 working days late; without cx for two weeks s2-rfs ends 3 days late
    assert list(table.weighted_tardiness) == [0, 120, 3]
    assert list(table["s1-rfs_date"]) == ["2027-02-16", "2027-03-16", "2027-02-17"]
    assert table.moved_tasks[0] == 0
    assert (out / "comparison.html").exists()
    # each scenario's files, so any can be adopted: under DIR/<scenario file's stem>/
    for stem in ("power-slip", "crew-out"):
        folder = out / stem
        assert sorted(p.name for p in folder.iterdir()) == [
            "changes.csv",
            "gantt.html",
            "schedule.csv",
            "schedule.json",
        ]
        check = runner.invoke(app, ["check", PROJECT, str(folder / "schedule.csv")])
        assert check.exit_code == 0, check.output
    slip = pd.read_csv(out / "power-slip" / "schedule.csv")
    assert slip.loc[slip.task_id.str.startswith("s1-"), "finish"].max() == "2027-03-16"
    page = (out / "comparison.html").read_text()
    assert "finish vs baseline (wd)" in page and "s1-rfs_vs_baseline_days" not in page
    assert "<a href='power-slip/gantt.html'>Gantt</a>" in page
    # a second run into the same folder replaces it whole (the scenario folders are ours)
    again = whatif(base, scenarios[:1], out, "--force")
    assert again.exit_code == 0, again.output
    assert not (out / "crew-out").exists()


def _no_solve(*_):
    raise AssertionError("a scenario was solved")


def test_a_change_that_breaks_the_format_hides_no_other_problem(tmp_path, monkeypatch):
    """One change breaks the format (a factor of 0), one names an unknown crew pool, one
    sets two kinds at once: the three problems come at once, each at its place."""
    import scheduler.replanning.compare as compare

    monkeypatch.setattr(compare, "_replan_one", _no_solve)
    bad = tmp_path / "three.yaml"
    bad.write_text(
        "name: three\nstatus_date: 2027-01-11\nchanges:\n"
        "  - duration: {module: skid, task: set, factor: 0}\n"
        "  - crews: {pool: cxx, count: 0, from: 2027-01-25, until: 2027-02-08}\n"
        "  - {delay: {task: set, days: 2}, milestone: {id: s2-rfs}}\n"
    )
    with pytest.raises(InputError) as caught:
        compare.check_scenarios(PROJECT, [bad], None)
    assert [str(p) for p in caught.value.problems] == [
        f"{bad}: changes[0].duration.factor (line 4, column 49): Input should be greater than 0 "
        "(got 0)",
        f"{bad}: changes[2] (line 6, column 5): a change sets exactly one of power, crews, "
        "factory, delay, duration, milestone",
        f"{bad}: changes[1].crews (line 5, column 12): unknown crew pool 'cxx' "
        "(valid crew pools: 'cx', 'elec', 'rig')",
    ]


def test_whatif_checks_every_scenario_before_any_solve(tmp_path, monkeypatch):
    """A typo in one scenario stops the what-if at once, naming the valid pools; the good
    scenario beside it is not solved."""
    import scheduler.replanning.compare as compare

    monkeypatch.setattr(compare, "_replan_one", _no_solve)
    bad = tmp_path / "typo.yaml"
    bad.write_text(
        "name: typo\nstatus_date: 2027-01-11\nchanges:\n"
        "  - crews: {pool: cxx, count: 0, from: 2027-01-25, until: 2027-02-08}\n"
    )
    good = DATA / "scenarios" / "power-slip.yaml"
    with pytest.raises(InputError) as caught:
        compare.compare(PROJECT, "unused.json", [good, bad], processes=1)
    (problem,) = caught.value.problems
    assert str(problem) == (
        f"{bad}: changes[0].crews (line 4, column 12): unknown crew pool 'cxx' "
        "(valid crew pools: 'cx', 'elec', 'rig')"
    )


def test_whatif_flags_scenarios_with_different_status_dates(tmp_path):
    """Scenarios of different status dates are compared (each replanned from its own, as
    docs/WHATIF.md does) and flagged: on the page, in comparison.csv, by the command."""
    base = tmp_path / "base"
    assert runner.invoke(app, ["schedule", PROJECT, "--out", str(base)]).exit_code == 0
    later = tmp_path / "later.yaml"
    later.write_text(
        (DATA / "scenarios" / "crew-out.yaml").read_text().replace("2027-01-11", "2027-01-13")
    )
    scenario = str(DATA / "scenarios" / "power-slip.yaml")
    out = tmp_path / "whatif"
    result = whatif(base, [scenario, str(later)], out)
    assert result.exit_code == 0, result.output
    warning = (  # the console wraps long lines anywhere: compared without white space
        "warning: the scenarios are replanned from different status dates (s1 utility "
        "slips 4 weeks 2027-01-11, cx crew out for two weeks 2027-01-13)"
    )
    assert "".join(warning.split()) in "".join(result.output.split())
    table = pd.read_csv(out / "comparison.csv", keep_default_na=False)
    assert list(table.status_date) == ["", "2027-01-11", "2027-01-13"]
    page = (out / "comparison.html").read_text()
    assert "DIFFERENT STATUS DATES" in page and "<b>Different status dates</b>" in page


def test_whatif_refuses_scenario_files_whose_folders_would_clash(tmp_path):
    import scheduler.replanning.compare as compare

    text = (DATA / "scenarios" / "crew-out.yaml").read_text()
    (tmp_path / "a").mkdir()
    twice = [tmp_path / "crew-out.yaml", tmp_path / "a" / "crew-out.yaml"]
    clash = tmp_path / "comparison.csv.yaml"
    # '...yaml' and '..yaml' would write beside DIR (DIR/../) or among its own files
    up, here = tmp_path / "a" / "...yaml", tmp_path / "..yaml"
    for path in [*twice, clash, up, here]:
        path.write_text(text)
    with pytest.raises(InputError) as caught:
        compare.check_scenarios(PROJECT, [*twice, clash, up, here], None)
    assert [str(p) for p in caught.value.problems] == [
        f"{twice[1]}: has the file name of {twice[0]}: each scenario's files go to "
        "DIR/crew-out/, so give the scenario files different names",
        f"{clash}: its files would go to DIR/comparison.csv/: rename the file",
        f"{up}: its files would go to DIR/../, which is not a folder of its own: rename the file",
        f"{here}: its files would go to DIR/./, which is not a folder of its own: rename the file",
    ]


def _killed_on_crew_out(job):
    """A scenario process's work that dies outright (as the out-of-memory killer would)
    on the crew-out scenario."""
    import os
    import signal

    if str(job[3]).endswith("crew-out.yaml"):
        os.kill(os.getpid(), signal.SIGKILL)
    return REPLAN_ONE(job)


def test_whatif_reports_a_scenario_process_killed_and_writes_nothing(tmp_path, monkeypatch):
    """A scenario's process killed outright: the what-if says which scenario, exit 1,
    nothing written; it does not wait for the lost scenario forever."""
    import scheduler.replanning.compare as compare

    base = tmp_path / "base"
    assert runner.invoke(app, ["schedule", PROJECT, "--out", str(base)]).exit_code == 0
    monkeypatch.setattr(compare, "_replan_one", _killed_on_crew_out)
    crew_out = str(DATA / "scenarios" / "crew-out.yaml")
    scenarios = [str(DATA / "scenarios" / "power-slip.yaml"), crew_out]
    out = tmp_path / "whatif"
    result = whatif(base, scenarios, out, "--processes", "2")
    assert result.exit_code == 1, result.output
    assert result.output.splitlines()[-1] == (
        f"{crew_out}: the process that replanned this scenario ended with no result "
        "(killed, or out of memory); nothing written"
    )
    assert not out.exists()


class _Seen(Exception):
    """Raised by a stand-in scenario solve with the jobs it was given."""


@pytest.mark.parametrize(("processes", "rounds"), [(1, 3), (2, 2), (3, 1)])
def test_the_scenarios_share_the_time_limit(tmp_path, monkeypatch, processes, rounds):
    """--time-limit 12 bounds the whole what-if: three scenarios, ``processes`` at a time,
    take ``rounds`` rounds, so each scenario has at most 12 / rounds seconds (less the
    time the scenarios took to check)."""
    import scheduler.replanning.compare as compare

    base = tmp_path / "base"
    assert runner.invoke(app, ["schedule", PROJECT, "--out", str(base)]).exit_code == 0
    text = (DATA / "scenarios" / "crew-out.yaml").read_text()
    scenarios = []
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.yaml").write_text(text)
        scenarios.append(str(tmp_path / f"{name}.yaml"))
    seen: list[tuple] = []

    def recorded(function, jobs, processes, stop=None):
        seen.extend(jobs)
        raise _Seen

    def one(job):
        seen.append(job)
        raise _Seen

    monkeypatch.setattr(compare, "fork_map", recorded)
    monkeypatch.setattr(compare, "_replan_one", one)
    options = SolveOptions(time_limit=12.0, workers=1)
    with pytest.raises(_Seen):
        compare.compare(PROJECT, base / "schedule.json", scenarios, None, None, options, processes)
    limits = {job[5].time_limit for job in seen}
    assert len(limits) == 1
    assert compare.MIN_SCENARIO_SECONDS <= limits.pop() <= 12.0 / rounds
    # counted from the command's start (`started`): 11 s gone leaves under 1 s a round
    import time

    seen.clear()
    with pytest.raises(_Seen):
        compare.compare(
            PROJECT,
            base / "schedule.json",
            scenarios,
            None,
            None,
            options,
            processes,
            started=time.perf_counter() - 11.0,
        )
    assert seen
    assert all(compare.MIN_SCENARIO_SECONDS <= job[5].time_limit <= 1.0 / rounds for job in seen)


def test_a_scenario_with_no_plan_is_named(tmp_path):
    """The cx crews gone from the status date on: milestone s2-rfs's deadline (2027-06-30)
    cannot hold. The what-if ends (it compares whole scenarios only), exit 1, saying which
    scenario has no plan and why; nothing written."""
    base = tmp_path / "base"
    assert runner.invoke(app, ["schedule", PROJECT, "--out", str(base)]).exit_code == 0
    gone = tmp_path / "cx-gone.yaml"
    gone.write_text(
        "name: cx crews gone for good\nstatus_date: 2027-01-11\nchanges:\n"
        "  - crews: {pool: cx, count: 0, from: 2027-01-12, until: 2029-12-31}\n"
    )
    out = tmp_path / "whatif"
    result = whatif(base, [str(DATA / "scenarios" / "power-slip.yaml"), str(gone)], out)
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[-3:-1] == [
        "infeasible: no schedule meets every constraint",
        f"- scenario {gone}:",
    ]
    assert lines[-1].startswith("- these cannot all hold: the unavailability windows of crew")
    assert not out.exists()


@pytest.mark.parametrize("processes", [1, 2])
def test_a_signal_whose_raise_was_lost_still_ends_the_whatif(tmp_path, processes):
    """Ctrl-C sets the command's `Stop`; should its raise be lost, the what-if still
    ends with `Interrupted` (in processes or one scenario after another), solving none."""
    import scheduler.replanning.compare as compare
    from scheduler.errors import Interrupted
    from scheduler.solvers.budget import Stop

    base = tmp_path / "base"
    assert runner.invoke(app, ["schedule", PROJECT, "--out", str(base)]).exit_code == 0
    scenarios = [str(DATA / "scenarios" / n) for n in ("power-slip.yaml", "crew-out.yaml")]
    stop = Stop()
    stop.abort = True
    stop.set()
    with pytest.raises(Interrupted):
        compare.compare(PROJECT, base / "schedule.json", scenarios, processes=processes, stop=stop)
