"""Tests of the PSPLIB / MSPSP importers and the bounds tables, on the shared data."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

from scheduler.errors import BenchmarkFormatError
from scheduler.importers import (
    benchmarks_dir,
    best_known,
    read_benchmark,
    read_dzn,
    read_mspsp,
    read_psplib,
)
from scheduler.instance import Instance, LinkType

DATA = benchmarks_dir()
J301_1 = DATA / "psplib" / "j30" / "j301_1.sm"
SET1A = DATA / "mspsp" / "set-1a" / "inst_set1a_sf0.5_nc1.5_n20_m10_00.dzn"
SET2C = DATA / "mspsp" / "set-2c" / "inst_set2c_sf0_nc1.5_n30_l10_m4_00.dzn"
needs_data = pytest.mark.skipif(not J301_1.exists(), reason="shared benchmark data absent")


def critical_path(instance: Instance) -> int:
    """Longest path over the FS links (lag 0), by Kahn's topological order."""
    succs: dict[int, list[int]] = defaultdict(list)
    indegree = [0] * instance.num_tasks
    for link in instance.links:
        assert link.type is LinkType.FS and link.lag == 0
        succs[link.pred].append(link.succ)
        indegree[link.succ] += 1
    start = [0] * instance.num_tasks
    ready = [i for i, n in enumerate(indegree) if n == 0]
    done = 0
    while ready:
        a = ready.pop()
        done += 1
        for b in succs[a]:
            start[b] = max(start[b], start[a] + instance.tasks[a].duration)
            indegree[b] -= 1
            if indegree[b] == 0:
                ready.append(b)
    assert done == instance.num_tasks, "precedence cycle"
    return max((s + t.duration for s, t in zip(start, instance.tasks, strict=True)), default=0)


@pytest.fixture(scope="module")
def psplib_all() -> dict[str, Instance]:
    """Every PSPLIB instance, parsed once."""
    files = sorted((DATA / "psplib").glob("j*/*.sm"))
    return {path.stem: read_psplib(path) for path in files}


@pytest.fixture(scope="module")
def mspsp_all() -> dict[str, tuple[Instance, dict, str]]:
    """Every MSPSP instance with its raw data and text, parsed once."""
    files = sorted((DATA / "mspsp").glob("set-*/*.dzn"))
    return {path.stem: (read_mspsp(path), read_dzn(path), path.read_text()) for path in files}


# --- PSPLIB -----------------------------------------------------------------------------


@needs_data
def test_j301_1():
    instance = read_psplib(J301_1)
    assert instance.name == "j301_1"
    assert instance.num_tasks == 30
    assert [t.id for t in instance.tasks] == [str(j) for j in range(2, 32)]
    assert [(r.id, r.capacity, r.kind) for r in instance.resources] == [
        ("R1", 12, "benchmark"),
        ("R2", 13, "benchmark"),
        ("R3", 4, "benchmark"),
        ("R4", 12, "benchmark"),
    ]
    job2 = instance.tasks[0]
    assert (job2.id, job2.duration, dict(job2.resources)) == ("2", 8, {"R1": 4})
    assert dict(instance.tasks[6].resources) == {"R2": 1}  # job 8: 9  0 1 0 0
    # 48 successor entries in the file, minus 3 from the source and 3 into the sink.
    assert len(instance.links) == 42
    index = instance.task_index()
    pairs = {(instance.tasks[k.pred].id, instance.tasks[k.succ].id) for k in instance.links}
    assert {("2", "6"), ("2", "11"), ("2", "15"), ("28", "31")} <= pairs
    assert all(k.type is LinkType.FS and k.lag == 0 for k in instance.links)
    assert not any(k.pred == k.succ for k in instance.links)
    # Successors of the source have no predecessor; predecessors of the sink are ends.
    has_pred = {k.succ for k in instance.links}
    has_succ = {k.pred for k in instance.links}
    assert {index[j] for j in ("2", "3", "4")}.isdisjoint(has_pred)
    assert {index[j] for j in ("29", "30", "31")}.isdisjoint(has_succ)
    assert instance.horizon == 158
    assert (instance.pools, instance.supplies, instance.milestones) == ((), (), ())
    assert read_benchmark(J301_1) == instance


@needs_data
def test_all_psplib_files_parse(psplib_all):
    bounds = best_known("psplib")
    assert len(psplib_all) == 1560
    assert set(psplib_all) == set(bounds)
    for stem, instance in psplib_all.items():
        assert instance.num_tasks == bounds[stem]["jobs"], stem
        assert instance.horizon == sum(t.duration for t in instance.tasks), stem
        assert [r.id for r in instance.resources] == ["R1", "R2", "R3", "R4"], stem


@needs_data
def test_psplib_critical_path_equals_cpm(psplib_all):
    bounds = best_known("psplib")
    wrong = {s: (critical_path(i), bounds[s]["cpm"]) for s, i in psplib_all.items()}
    wrong = {s: pair for s, pair in wrong.items() if pair[0] != pair[1]}
    assert not wrong


# --- MSPSP ------------------------------------------------------------------------------


@needs_data
def test_set1a_file():
    instance = read_mspsp(SET1A)
    assert instance.name == SET1A.stem
    assert instance.num_tasks == 20  # nActs 22 minus the two dummies
    assert [t.id for t in instance.tasks] == [str(a) for a in range(2, 22)]
    assert (instance.tasks[0].duration, dict(instance.tasks[0].skills)) == (9, {"s1": 1, "s2": 1})
    assert dict(instance.tasks[2].skills) == {"s1": 3, "s3": 3}  # activity 4: 3,0,3,0
    assert [p.id for p in instance.pools] == [f"r{r}" for r in range(1, 11)]
    assert all(p.count == 1 for p in instance.pools)
    assert instance.pools[0].skills == {"s1", "s2", "s3"}  # true,true,true,false
    assert instance.pools[2].skills == {"s1"}
    assert instance.pools[9].skills == {"s1", "s3", "s4"}
    assert len(instance.links) == 25  # 31 arcs, 3 from the source, 3 into the sink
    assert instance.horizon == 132  # the commented-out maxt
    assert (instance.resources, instance.supplies, instance.milestones) == ((), (), ())


@needs_data
def test_set2c_file():
    instance = read_mspsp(SET2C)
    assert instance.num_tasks == 30
    assert (instance.tasks[0].duration, dict(instance.tasks[0].skills)) == (2, {"s4": 1, "s9": 1})
    assert dict(instance.tasks[6].skills) == {"s2": 1, "s7": 2}  # activity 8
    assert [p.skills for p in instance.pools] == [
        {"s6", "s7", "s10"},
        {"s1", "s2", "s3"},
        {"s2", "s3", "s4", "s5", "s7", "s9", "s10"},
        {"s2", "s3", "s4", "s6", "s7", "s8", "s9"},
    ]
    assert len(instance.links) == 42  # 48 arcs, 3 from the source, 3 into the sink
    assert instance.horizon == 68
    assert read_benchmark(SET2C) == instance


@needs_data
def test_all_mspsp_files_parse(mspsp_all):
    bounds = best_known("mspsp")
    assert len(mspsp_all) == 307
    assert set(mspsp_all) == set(bounds)
    for stem, (instance, data, text) in mspsp_all.items():
        n_skills = data["nSkills"]
        assert instance.num_tasks == data["nActs"] - 2, stem
        maxt = int(re.search(r"%\s*maxt\s*=\s*(\d+)", text).group(1))
        assert instance.horizon == maxt, stem
        for task, row in zip(instance.tasks, data["sreq"][1:-1], strict=True):
            assert task.skills == {f"s{s + 1}": n for s, n in enumerate(row) if n}, stem
        for pool, row in zip(instance.pools, data["mastery"], strict=True):
            assert pool.skills == {f"s{s + 1}" for s in range(n_skills) if row[s]}, stem
        assert len(data["USEFUL_RES"]) == data["nActs"], stem


@needs_data
def test_mspsp_critical_path_equals_mint(mspsp_all):
    wrong = {
        stem: (critical_path(instance), data["mint"])
        for stem, (instance, data, _) in mspsp_all.items()
        if critical_path(instance) != data["mint"]
    }
    assert not wrong


def test_dzn_syntax(tmp_path):
    path = tmp_path / "syntax.dzn"
    path.write_text(
        "% comment\na = -3; b = true ;c=[1, 2,];\nd = [| 1, 2, | 3, 4, |]; % trailing\n"
        "e = [|1,2|3,4|]; f = {1, 5}; g = [{}, {2}]; h = [| |]; i = [];\n"
    )
    assert read_dzn(path) == {
        "a": -3,
        "b": True,
        "c": [1, 2],
        "d": [[1, 2], [3, 4]],
        "e": [[1, 2], [3, 4]],
        "f": {1, 5},
        "g": [set(), {2}],
        "h": [],
        "i": [],
    }


# --- Errors -----------------------------------------------------------------------------


def _edit(tmp_path: Path, source: Path, edit) -> Path:
    """A copy of ``source`` in tmp_path with its lines changed by ``edit``."""
    lines = source.read_text().splitlines(keepends=True)
    target = tmp_path / source.name
    target.write_text("".join(edit(lines)))
    return target


def _replace(line_no: int, old: str, new: str):
    """An edit replacing the first ``old`` by ``new`` on 1-based line ``line_no``."""

    def edit(lines):
        assert old in lines[line_no - 1]
        lines[line_no - 1] = lines[line_no - 1].replace(old, new, 1)
        return lines

    return edit


def _drop(line_no: int):
    return lambda lines: lines[: line_no - 1] + lines[line_no:]


def _half(lines):
    text = "".join(lines)
    return [text[: len(text) // 2]]


SM_ERRORS = [
    (_half, "j301_1.sm: section 'PRECEDENCE RELATIONS' has 28 jobs, expected 32"),
    (_drop(56), "j301_1.sm: line 56: expected job 2 in REQUESTS/DURATIONS, found job 3"),
    (_drop(40), "j301_1.sm: line 40: expected job 22 in PRECEDENCE RELATIONS, found job 23"),
    (
        _replace(56, " 8 ", " x "),
        "j301_1.sm: line 56: non-numeric token 'x' in REQUESTS/DURATIONS",
    ),
    (
        _replace(59, "3    0    0    0", "3    0    0"),
        "j301_1.sm: line 59: expected 7 numbers for job 5 in REQUESTS/DURATIONS, found 6",
    ),
    (_replace(7, "158", "x"), "j301_1.sm: line 7: non-numeric token 'x' in field 'horizon'"),
    (
        _replace(7, "158", "100"),
        "j301_1.sm: field 'horizon' is 100, less than the sum of durations 158",
    ),
    (_drop(7), "j301_1.sm: field 'horizon' is missing"),
    (
        lambda lines: lines[:87],
        "j301_1.sm: section 'RESOURCEAVAILABILITIES' is missing",
    ),
    (
        lambda lines: lines[:89],
        "j301_1.sm: section 'RESOURCEAVAILABILITIES' has no capacities line",
    ),
    (
        _replace(90, "12", ""),
        "j301_1.sm: line 90: expected 4 capacities in RESOURCEAVAILABILITIES, found 3",
    ),
    (
        _replace(47, "32", "40"),
        "j301_1.sm: line 47: successor 40 of job 29 is not another job in 1..32",
    ),
    (
        _replace(47, "1          32", "1          32  31"),
        "j301_1.sm: line 47: job 29 lists 2 successors, but its count says 1",
    ),
    (_replace(20, "   1  ", "   2  "), "j301_1.sm: line 20: job 2 has 2 modes, expected 1"),
    (
        _replace(55, "0       0", "1       0"),
        "j301_1.sm: line 55: dummy job 1 must have duration 0 and no demand",
    ),
    (
        _replace(10, "0   N", "1   N"),
        "j301_1.sm: field 'nonrenewable' must be 0 (renewable resources only)",
    ),
    (lambda lines: [], "j301_1.sm: line 1: empty file"),
]


@needs_data
@pytest.mark.parametrize(("edit", "message"), SM_ERRORS)
def test_psplib_errors(tmp_path, edit, message):
    with pytest.raises(BenchmarkFormatError) as error:
        read_psplib(_edit(tmp_path, J301_1, edit))
    assert str(error.value) == message


DZN = SET1A.name
DZN_ERRORS = [
    (_half, f"{DZN}: line 51: field 'unsucc': unexpected end of file"),
    (_drop(16), f"{DZN}: field 'sreq' has 84 values, expected 88 (nActs x nSkills)"),
    (_replace(7, "[0,9", "[0,x"), f"{DZN}: line 7: field 'dur': non-numeric token 'x'"),
    (_replace(7, ",0]", "]"), f"{DZN}: field 'dur' has 21 values, expected 22 (nActs)"),
    (
        _replace(16, "1,0,1,0,", "1,0,1,"),
        f"{DZN}: field 'sreq' has 87 values, expected 88 (nActs x nSkills)",
    ),
    (
        _replace(16, "1,0,1,0,", "1,0,1,0,1,"),
        f"{DZN}: field 'sreq' has 89 values, expected 88 (nActs x nSkills)",
    ),
    (
        lambda lines: _replace(17, "3,3,0,0,", "3,3,0,0,0,")(
            _replace(16, "1,0,1,0,", "1,0,1,")(lines)
        ),
        f"{DZN}: field 'sreq' row 7 has 3 values, expected 4",
    ),
    (_replace(34, "true", "1"), f"{DZN}: field 'mastery' has value 1, not a boolean"),
    (_replace(46, "[1,", "[23,"), f"{DZN}: field 'pred' has value 23, not an integer in 1..22"),
    (
        _replace(7, "[0,", "[1,"),
        f"{DZN}: activity 1 is a dummy and must have duration 0 and no skill demand",
    ),
    (_replace(6, "22", "true"), f"{DZN}: field 'nActs' must be an integer >= 2"),
    (_replace(6, "nActs", "nSkills"), f"{DZN}: line 9: field 'nSkills' assigned twice"),
    (_replace(6, "nActs", "zzz"), f"{DZN}: field 'nActs' is missing"),
    (_replace(7, ";", ""), f"{DZN}: line 9: field 'dur': expected ';', found 'nSkills'"),
    (_replace(7, ",9,", ",9 "), f"{DZN}: line 7: field 'dur': expected ',' or ']', found '8'"),
    (_replace(7, "=", "#"), f"{DZN}: line 7: field 'dur': expected '=', found '#'"),
    (
        _replace(46, "[1,", "[{1},"),
        f"{DZN}: field 'pred' has value {{1}}, not an integer in 1..22",
    ),
    (lambda lines: ["% only a comment\n"], f"{DZN}: line 1: empty file"),
]


@needs_data
@pytest.mark.parametrize(("edit", "message"), DZN_ERRORS)
def test_mspsp_errors(tmp_path, edit, message):
    with pytest.raises(BenchmarkFormatError) as error:
        read_mspsp(_edit(tmp_path, SET1A, edit))
    assert str(error.value) == message


@needs_data
def test_error_is_value_error_with_parts(tmp_path):
    with pytest.raises(ValueError) as error:
        read_psplib(_edit(tmp_path, J301_1, _replace(56, " 8 ", " x ")))
    assert (error.value.file, error.value.place) == ("j301_1.sm", "line 56")
    with pytest.raises(BenchmarkFormatError, match=r"must end in \.sm or \.dzn"):
        read_benchmark(tmp_path / "x.txt")


# --- Bounds -----------------------------------------------------------------------------


@needs_data
def test_bounds():
    psplib = best_known("psplib")
    assert psplib["j301_1"] == {
        "set": "j30",
        "jobs": 30,
        "cpm": 38,
        "lb": 43,
        "ub": 43,
        "closed": 1,
    }
    assert len(best_known("j30")) == 480
    assert len(best_known("j120")) == 600
    assert psplib["j1201_1"]["lb"] == 104 and psplib["j1201_1"]["ub"] == 105
    mspsp = best_known("mspsp")
    assert mspsp[SET1A.stem] == {"set": "set-1a", "lb": 61, "ub": 61, "optimal": 1}
    assert "cpm" not in mspsp[SET1A.stem]
    assert len(best_known("set-2c")) == 91
    assert best_known(DATA / "mspsp") == mspsp
    assert best_known(DATA / "mspsp" / "bounds.csv") == mspsp


def test_benchmarks_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("MODSCHED_BENCHMARKS", raising=False)
    repo = Path(__file__).resolve().parents[1]
    assert benchmarks_dir() == repo.parent / "shared" / "benchmarks"
    assert benchmarks_dir(tmp_path) == tmp_path
    (tmp_path / "mspsp").mkdir()
    (tmp_path / "mspsp" / "bounds.csv").write_text("instance,set,lb,ub,optimal\na,set-1a,3,,0\n")
    monkeypatch.setenv("MODSCHED_BENCHMARKS", str(tmp_path))
    assert benchmarks_dir() == tmp_path
    assert best_known("mspsp") == {"a": {"set": "set-1a", "lb": 3, "optimal": 0}}
