"""modsched risk and whatif on a real Dask cluster (issue 25): a `LocalCluster` of two
worker processes on 127.0.0.1, one of them killed mid-run."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest
from test_risk import baseline, write_project  # noqa: F401 (the fixture)

from scheduler.risk.executors import run_local, sample_risk
from scheduler.risk.report import risk_table
from scheduler.risk.run import chunks, prepare_risk

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        yield cluster


def test_a_lost_worker_loses_only_its_chunk(tmp_path: Path, baseline: Path, cluster) -> None:  # noqa: F811
    """The same seed gives the same samples on the cluster as in this process, with a
    worker killed (SIGKILL) after the first chunk: its chunks run again elsewhere."""
    project = write_project(
        tmp_path, build="{min: 3, mode: 5, max: 12}", slip="{p50_days: 10, p90_days: 30}"
    )
    problem = prepare_risk(project, baseline, seed=5)
    local = run_local(problem, chunks(400, 400), 1, threading.Event())
    with distributed.Client(cluster) as client:
        pids = list(client.run(os.getpid).values())
    killed: list[int] = []

    def kill_one(done: int) -> None:
        if not killed:
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    remote = sample_risk(
        problem, 400, threading.Event(), dask=cluster.scheduler_address, on_chunk=kill_one
    )
    assert killed
    assert [s.sample for s in remote.samples] == list(range(400))
    assert [s.days for s in remote.samples] == [s.days for s in local]
    mine = sample_risk(problem, 400, threading.Event(), processes=2)
    assert risk_table(remote).equals(risk_table(mine))


def test_whatif_on_the_cluster(tmp_path: Path, baseline: Path, cluster) -> None:  # noqa: F811
    """The scenario solved on the cluster gives the plan solved here (one CP-SAT worker,
    the deterministic clock)."""
    from scheduler.replanning.compare import compare
    from scheduler.solvers.budget import SolveOptions

    project = write_project(tmp_path)
    scenario = tmp_path / "late-grid.yaml"
    scenario.write_text(
        "name: grid a week late\nstatus_date: 2027-01-04\n"
        "changes:\n  - power: {site: s1, supply: grid, from: 2027-02-08}\n"
    )
    options = SolveOptions(time_limit=5, workers=1)
    here = compare(project, baseline, [scenario], options=options, processes=1)
    there = compare(project, baseline, [scenario], options=options, dask=cluster.scheduler_address)
    assert there.table.equals(here.table)
    assert there.scenarios[0].schedule.milestones[0].day == 28  # tests 25-27, 27-29


def test_no_scheduler_is_one_line(tmp_path: Path, baseline: Path) -> None:  # noqa: F811
    from typer.testing import CliRunner

    from scheduler.cli import app

    project = write_project(tmp_path)
    args = ["risk", str(project), "--baseline", str(baseline), "--out", str(tmp_path / "o")]
    result = CliRunner().invoke(app, [*args, "--dask", "tcp://127.0.0.1:9"])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if "--dask" in line]
    assert len(lines) == 1
    assert lines[0].startswith("--dask tcp://127.0.0.1:9: no Dask scheduler answers (")
