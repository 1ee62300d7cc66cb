"""scheduler/replanning/status.py: actuals (done, in progress) pinned at a status date on
the complete test project (tests/data/complete.yaml), the messages of bad actuals, and
links between pinned tasks read as the validator reads them."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
from generators import REPLAN_OPTIONS as FAST
from generators import REPLAN_PROJECT as PROJECT
from generators import checked, replan_cli, table
from typer.testing import CliRunner

from scheduler.cli import app
from scheduler.errors import InputError
from scheduler.instance import Link, LinkType, Task
from scheduler.replanning.replan import replan
from scheduler.replanning.status import TaskStatus, Unlisted, broken_link


def test_actuals_pin_done_and_in_progress(baseline, tmp_path):
    """Status 2027-01-14 (day 8). s1-skid/1 fabricate took a day longer (done days 0-5),
    its ship ran days 6-7 (done), its set started day 8... in progress with 2 days left.
    Read strictly (--unlisted not-started), everything not listed starts on or after
    day 8."""
    actuals = tmp_path / "actuals.csv"
    actuals.write_text(
        "task_id,actual_start,actual_finish,remaining_days\n"
        "s1-skid/1/fabricate,2027-01-04,2027-01-11,\n"
        "s1-skid/1/ship,2027-01-12,2027-01-13,\n"
        "s1-skid/1/set,2027-01-14,,2\n"
    )
    outcome = checked(
        replan(
            PROJECT,
            baseline,
            actuals,
            status_date=date(2027, 1, 14),
            options=FAST,
            unlisted=Unlisted.NOT_STARTED,
        )
    )
    tasks = table(outcome).set_index("task_id")
    assert (tasks.loc["s1-skid/1/fabricate", ["start_day", "end_day"]] == [0, 6]).all()
    assert (tasks.loc["s1-skid/1/ship", ["start_day", "end_day"]] == [6, 8]).all()
    assert (tasks.loc["s1-skid/1/set", ["start_day", "end_day"]] == [8, 10]).all()
    assert tasks.loc["s1-skid/1/set", "status"] == TaskStatus.IN_PROGRESS
    planned = tasks[tasks.status == "planned"]
    assert len(planned) == 19 - 3 and (planned.start_day >= 8).all()


def test_two_tasks_in_progress_on_one_baseline_crew(baseline, tmp_path):
    """Two hook-ups the baseline gave the same electrical crew, one after the other, are
    both reported in progress (the first ran long): the first keeps the crew, the second
    gets another one that can do electrical work. Naming both with the baseline's crew
    once produced a crew overlap that stopped the run."""
    base = pd.DataFrame(list(pd.read_json(baseline, typ="series")["tasks"])).set_index("task_id")
    hookups = base[base.task == "hookup"].sort_values("start_day")
    pairs = [
        (a, b)
        for a in hookups.index
        for b in hookups.index
        if hookups.start_day[a] < hookups.start_day[b]
        and set(hookups.crews[a]) & set(hookups.crews[b])
    ]
    assert pairs, "the baseline gives one electrical crew two hook-ups"
    first, second = pairs[0]
    day = base.start[second]
    rows = ["task_id,actual_start,actual_finish,remaining_days"]
    for hookup in (first, second):
        deployment = hookup.rsplit("/", 1)[0]
        for task in ("fabricate", "ship", "set"):
            row = base.loc[f"{deployment}/{task}"]
            rows.append(f"{deployment}/{task},{row.start},{row.finish},")
        rows.append(f"{hookup},{base.start[hookup]},,2")
    actuals = tmp_path / "actuals.csv"
    actuals.write_text("\n".join(rows) + "\n")
    outcome = checked(
        replan(
            PROJECT,
            baseline,
            actuals,
            status_date=date.fromisoformat(day),
            options=FAST,
            unlisted="not-started",
        )
    )
    tasks = table(outcome).set_index("task_id")
    assert tasks.loc[first, "status"] == tasks.loc[second, "status"] == TaskStatus.IN_PROGRESS
    assert tasks.loc[first, "crews"] == ";".join(hookups.crews[first])
    crews = [set(tasks.loc[t, "crews"].split(";")) for t in (first, second)]
    assert not crews[0] & crews[1]


def test_actual_finish_on_a_weekend_ends_with_the_last_workday(baseline, tmp_path):
    """Fabrication reported finished on Saturday 2027-01-09: it worked Mon-Fri, days 0-4,
    and is done before the status date, Monday 2027-01-11 (day 5)."""
    actuals = tmp_path / "actuals.csv"
    actuals.write_text(
        "task_id,actual_start,actual_finish,remaining_days\n"
        "s1-skid/1/fabricate,2027-01-04,2027-01-09,\n"
    )
    outcome = checked(
        replan(PROJECT, baseline, actuals, status_date=date(2027, 1, 11), options=FAST)
    )
    tasks = table(outcome).set_index("task_id")
    assert (tasks.loc["s1-skid/1/fabricate", ["start_day", "end_day"]] == [0, 5]).all()
    assert tasks.loc["s1-skid/1/fabricate", "status"] == TaskStatus.DONE


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("s1-skid/9/set,2027-01-05,,", "line 2, task_id: unknown task 's1-skid/9/set'"),
        (
            "s1-skid/1/fabricate,2027-01-08,2027-01-05,",
            "line 2, actual_finish: task 's1-skid/1/fabricate' finishes 2027-01-05 before it "
            "starts 2027-01-08",
        ),
        (
            "s1-skid/1/fabricate,2027-01-20,,",
            "line 2, actual_start: task 's1-skid/1/fabricate' starts 2027-01-20, after the "
            "status date",
        ),
        (
            "s1-skid/1/ship,2027-01-05,,",
            "task 's1-skid/1/ship': started before its predecessor 's1-skid/1/fabricate' started",
        ),
        (
            "s1-skid/1/fabricate,01/05/2027,,",
            "line 2, actual_start: actual_start '01/05/2027' is not a date (YYYY-MM-DD)",
        ),
        (
            "s1-skid/1/fabricate,2027-01-04,2027-01-08,\ns1-skid/1/ship,2027-01-07,2027-01-08,",
            "task 's1-skid/1/ship': started before its predecessor 's1-skid/1/fabricate' finished",
        ),
        # both in progress: the fabrication ends after the status date, the ship began before
        (
            "s1-skid/1/fabricate,2027-01-04,,\ns1-skid/1/ship,2027-01-12,,",
            "task 's1-skid/1/ship': started before its predecessor 's1-skid/1/fabricate' finished",
        ),
        # in progress with nothing left would end before the status date it runs on
        (
            "s1-skid/1/fabricate,2027-01-04,,0",
            "line 2, remaining_days: task 's1-skid/1/fabricate' is in progress with "
            "remaining_days 0: give its "
            "actual_finish, or 1 day or more",
        ),
    ],
)
def test_bad_actuals_name_the_row(baseline, tmp_path, row, message):
    """Read strictly: a task not listed has not started."""
    actuals = tmp_path / "actuals.csv"
    actuals.write_text(f"task_id,actual_start,actual_finish,remaining_days\n{row}\n")
    with pytest.raises(InputError) as caught:
        day = date(2027, 1, 14)
        replan(PROJECT, baseline, actuals, status_date=day, unlisted=Unlisted.NOT_STARTED)
    assert any(message in str(p) for p in caught.value.problems), caught.value


def test_a_status_date_centuries_away_is_refused(baseline):
    """--status-date 9999-12-31 ended in an OverflowError traceback."""
    with pytest.raises(InputError) as caught:
        replan(PROJECT, baseline, status_date=date(9999, 12, 31), options=FAST)
    assert [str(p) for p in caught.value.problems] == [
        "command line: --status-date: status date 9999-12-31 is more than 100 years after "
        "the program start 2027-01-04"
    ]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            "s1-skid/1/fabricate,9999-12-31,,",
            "line 3, actual_start: task 's1-skid/1/fabricate' starts 9999-12-31, after the "
            "status date",
        ),
        (
            "s1-skid/1/fabricate,2027-01-04,9999-12-31,",
            "line 3, actual_finish: task 's1-skid/1/fabricate' finishes 9999-12-31, after the "
            "status date",
        ),
        (
            "s1-skid/1/fabricate,2027-01-04,,99999999999999999999",
            "line 3, remaining_days: remaining_days 99999999999999999999 is more than 10000 "
            "working days, the longest a task may last",
        ),
        (
            "s1-skid/1/fabricate,2027-01-04,,\u00b2",
            "line 3, remaining_days: remaining_days '\u00b2' is not a whole number of days",
        ),
        (
            "s1-skid/1/fabricate,2027-01-04,," + "9" * 5000,
            f"line 3, remaining_days: remaining_days {'9' * 5000} is more than 10000 working "
            "days, the longest a task may last",
        ),
        (
            "s1-skid/1/fabricate,1901-01-07,,",
            "line 3, actual_start: task 's1-skid/1/fabricate' starts 1901-01-07, before the "
            "program start 2027-01-04",
        ),
        (
            "s1-skid/1/ship,2027-01-11,2027-01-12,\ns1-skid/1/ship,2027-01-11,2027-01-12,",
            "line 4, task_id: task 's1-skid/1/ship' is listed twice (first on line 3)",
        ),
    ],
    ids=[
        "start 9999",
        "finish 9999",
        "remaining 10^20",
        "remaining unicode digit",
        "remaining 5000 digits",
        "start 1901",
        "twice",
    ],
)
def test_actuals_out_of_bounds_exit_2_with_the_line_and_column(baseline, tmp_path, row, message):
    """Issue 26, item 1: dates of 9999-12-31 and a remaining_days of 10^20, '\u00b2' or
    5000 digits ended in tracebacks (OverflowError in the calendar, a numpy dimension,
    int() of a unicode digit, Python's 4300-digit limit); a start in 1901 reached the
    validator as "internal error ... please report it"."""
    actuals = tmp_path / "actuals.csv"
    actuals.write_text(
        "task_id,actual_start,actual_finish,remaining_days\n"
        f"s1-skid/2/fabricate,2027-01-04,2027-01-08,\n{row}\n"
    )
    result = replan_cli(
        baseline, tmp_path / "out", "--actuals", str(actuals), "--status-date", "2027-01-14"
    )
    assert result.exit_code == 2, result.output
    assert result.output == f"{actuals}: {message}\n"


ACTUALS = (
    "task_id,actual_start,actual_finish,remaining_days\n"
    "s1-skid/1/fabricate,2027-01-04,2027-01-11,\n"
)


@pytest.mark.parametrize(
    "encoded",
    [ACTUALS.encode("utf-8-sig"), ACTUALS.encode("utf-16")],
    ids=["utf-8 with BOM", "utf-16"],
)
def test_actuals_as_spreadsheets_save_them(baseline, tmp_path, encoded):
    """Excel's "CSV UTF-8" (a BOM) and "Unicode text" (UTF-16) are read: the BOM was
    refused as "missing column(s) task_id" and UTF-16 ended in a traceback."""
    actuals = tmp_path / "actuals.csv"
    actuals.write_bytes(encoded)
    outcome = replan(
        PROJECT, baseline, actuals, status_date=date(2027, 1, 14), unlisted="not-started"
    )
    tasks = table(outcome).set_index("task_id")
    assert tasks.loc["s1-skid/1/fabricate", "status"] == TaskStatus.DONE


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            ACTUALS.replace("fabricate", "fabricat\u00e9").encode("cp1252"),
            "line 2: byte 0xe9 is not UTF-8 text: save the file as CSV UTF-8",
        ),
        (
            ACTUALS.encode() + b"s1-skid/1/ship," + b"x" * 140_000 + b",,\n",
            "not a CSV file modsched reads: field larger than field limit (131072)",
        ),
    ],
    ids=["cp1252", "huge field"],
)
def test_actuals_that_cannot_be_read_say_why(baseline, tmp_path, data, message):
    actuals = tmp_path / "actuals.csv"
    actuals.write_bytes(data)
    with pytest.raises(InputError) as caught:
        replan(PROJECT, baseline, actuals, status_date=date(2027, 1, 14), options=FAST)
    assert [str(p) for p in caught.value.problems] == [f"{actuals}: {message}"]


@pytest.mark.parametrize(
    ("kind", "lag", "b_start", "message"),
    [
        (LinkType.FF, 0, 1, "finishes before its predecessor 'a' finished (FF link)"),
        (LinkType.SF, 2, 0, "finishes before its predecessor 'a' started (SF link, lag 2 days)"),
        (LinkType.SS, -1, 3, None),  # starts on 3 >= 4 - 1
        (LinkType.SS, 0, 3, "started before its predecessor 'a' started (SS link)"),
    ],
)
def test_links_between_pinned_tasks(kind, lag, b_start, message):
    """a runs days 4-8 ([4, 9)), b two days from b_start: every link type is read on the
    pinned days, as the validator reads it."""
    a, b = Task("a", 5, fixed_start=4), Task("b", 2, fixed_start=b_start)
    assert broken_link(Link(0, 1, kind, lag), a, b) == message


@pytest.mark.parametrize("with_actuals", [True, False], ids=["actuals", "baseline as done"])
def test_started_out_of_order_names_the_file_and_line(baseline, tmp_path, with_actuals):
    """Found by the replan fuzzer (issue 26): a task started before its predecessor was
    reported as coming from "actuals", a file of that name, with no line; without an
    actuals file the baseline's own days are at fault."""
    document = json.loads(baseline.read_text())
    ship = document["tasks"][1]  # s1-skid/1/ship, days 5-7 after fabricate's 0-5
    args = ["--status-date", "2027-01-14"]
    if with_actuals:
        actuals = tmp_path / "actuals.csv"
        actuals.write_text(
            "task_id,actual_start,actual_finish,remaining_days\n"
            "s1-skid/1/fabricate,2027-01-04,2027-01-08,\n"
            "s1-skid/1/ship,2027-01-07,2027-01-08,\n"
        )
        args += ["--actuals", str(actuals)]
        expected = f"{actuals}: line 3, task 's1-skid/1/ship'"
        path = baseline
    else:
        ship["start_day"], ship["end_day"], ship["start"] = 3, 5, "2027-01-07"
        path = tmp_path / "edited.json"
        path.write_text(json.dumps(document))
        expected = f"{path}: tasks[1], task 's1-skid/1/ship'"
    result = replan_cli(path, tmp_path / "out", *args)
    assert result.exit_code == 2, result.output
    assert result.output == (
        f"{expected}: started before its predecessor 's1-skid/1/fabricate' finished\n"
    )


def test_actuals_and_baseline_must_be_regular_files(baseline, tmp_path):
    """`--actuals /dev/zero` and `--baseline /dev/zero` read until memory ran out
    (issue 26, item 7)."""
    refused = (
        "/dev/zero: a device, not a regular file; only regular files are read (DESIGN.md, Limits)"
    )
    for baseline_path, actuals in ((baseline, "/dev/zero"), ("/dev/zero", None)):
        with pytest.raises(InputError) as error:
            replan(PROJECT, baseline_path, actuals, status_date=date(2027, 1, 11))
        assert [str(p) for p in error.value.problems] == [refused]


# ------------------------------------------------- progress as sites report it (issue 24)


def baseline_rows(baseline) -> pd.DataFrame:
    return pd.DataFrame(json.loads(baseline.read_text())["tasks"]).set_index("task_id")


def status_file(tmp_path, *rows: str):
    path = tmp_path / "progress.csv"
    path.write_text("task_id,actual_start,actual_finish,remaining_days\n" + "\n".join(rows) + "\n")
    return path


def test_unlisted_tasks_are_taken_as_the_baseline_has_them(baseline, tmp_path):
    """A site reports one task running late; every task it does not list is done, in
    progress or not started as the baseline has it at the status date, as in a replan
    without actuals (before, each unlisted task was taken as not started, and the
    update failed on the first started successor)."""
    day = date(2027, 1, 14)  # working day 8
    base = baseline_rows(baseline)
    running = base[(base.start_day < 8) & (base.end_day > 8)].index
    assert len(running) > 0, "the baseline has a task in progress on day 8"
    late = running[0]
    actuals = status_file(tmp_path, f"{late},{base.start[late]},,5")
    plain = table(replan(PROJECT, baseline, status_date=day, options=FAST)).set_index("task_id")
    outcome = checked(replan(PROJECT, baseline, actuals, status_date=day, options=FAST))
    tasks = table(outcome).set_index("task_id")
    assert (tasks.status == plain.status).all()
    assert tasks.end_day[late] == 8 + 5
    done = tasks[tasks.status == TaskStatus.DONE]
    assert (done.start_day == base.start_day[done.index]).all()


def test_a_task_reported_not_started_is_planned_from_the_status_date(baseline, tmp_path):
    day = date(2027, 1, 14)  # working day 8
    base = baseline_rows(baseline)
    started = base[(base.start_day < 8)]
    # a started task none of whose successors has started by day 8
    task = next(
        t
        for t in started.index
        if t.endswith("/fabricate") and base.start_day[t.replace("fabricate", "ship")] >= 8
    )
    outcome = checked(
        replan(PROJECT, baseline, status_file(tmp_path, f"{task},not started,,"), status_date=day)
    )
    tasks = table(outcome).set_index("task_id")
    assert tasks.status[task] == TaskStatus.PLANNED
    assert tasks.start_day[task] >= 8


def test_a_listed_task_against_an_unlisted_one_names_both_rows(baseline, tmp_path):
    """The ship is reported started on day 1; its fabrication is not listed, so it runs
    as the baseline has it (five days from day 0 at the earliest)."""
    actuals = status_file(tmp_path, "s1-skid/1/ship,2027-01-05,,")
    with pytest.raises(InputError) as caught:  # day 6: no set has begun (ship ends >= 7)
        replan(PROJECT, baseline, actuals, status_date=date(2027, 1, 12))
    assert [str(p) for p in caught.value.problems] == [
        f"{actuals}: line 2, task 's1-skid/1/ship': started before its predecessor "
        "'s1-skid/1/fabricate' finished; 's1-skid/1/fabricate' is not listed, so taken as "
        f"the baseline has it ({baseline}, tasks[0]): list 's1-skid/1/fabricate' with its "
        "actual dates"
    ]


def test_an_unlisted_task_against_a_listed_one_names_both_rows(baseline, tmp_path):
    """The fabrication is reported not started; the ship, not listed, started as the
    baseline has it (the status date is the working day after the ship's start)."""
    base = baseline_rows(baseline)
    status = date.fromisoformat(base.finish["s1-skid/1/ship"])  # a 2-day ship: it has begun
    actuals = status_file(tmp_path, "s1-skid/1/fabricate,not started,,")
    with pytest.raises(InputError) as caught:
        replan(PROJECT, baseline, actuals, status_date=status)
    assert [str(p) for p in caught.value.problems] == [
        f"{baseline}: tasks[1], task 's1-skid/1/ship': not listed in {actuals}, so taken "
        "as the baseline has it: started before its predecessor 's1-skid/1/fabricate' "
        f"started; 's1-skid/1/fabricate' is on line 2 of {actuals}: list 's1-skid/1/ship' "
        "with its actual dates"
    ]


def test_unlisted_not_started_keeps_the_strict_reading(baseline, tmp_path):
    """`--unlisted not-started`: only what is listed has started, as before."""
    actuals = status_file(tmp_path, "s1-skid/1/ship,2027-01-05,,")
    result = replan_cli(
        baseline,
        tmp_path / "out",
        "--actuals",
        str(actuals),
        "--status-date",
        "2027-01-14",
        "--unlisted",
        "not-started",
    )
    assert result.exit_code == 2
    assert result.output == (
        f"{actuals}: line 2, task 's1-skid/1/ship': started before its predecessor "
        "'s1-skid/1/fabricate' started; 's1-skid/1/fabricate' is not listed, so taken as "
        "not started\n"
    )


def test_a_task_reported_not_started_has_no_finish(baseline, tmp_path):
    actuals = status_file(tmp_path, "s1-skid/1/ship,not started,2027-01-08,")
    with pytest.raises(InputError) as caught:
        replan(PROJECT, baseline, actuals, status_date=date(2027, 1, 14))
    assert [str(p) for p in caught.value.problems] == [
        f"{actuals}: line 2, actual_finish: task 's1-skid/1/ship' is reported not started: "
        "leave actual_finish empty"
    ]


def test_the_status_template_round_trip(baseline, tmp_path):
    """`modsched status-template`: the tasks planned to start before the status date
    plus 14 days, planned dates filled in, actual columns empty; filled in on one row
    and given back as --actuals, it replans (the empty rows report nothing)."""
    out = tmp_path / "progress.csv"
    runner = CliRunner()
    args = ["status-template", str(baseline), "--status-date", "2027-01-14", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = pd.read_csv(out, dtype=str, keep_default_na=False)
    base = baseline_rows(baseline)
    expected = base[base.start < "2027-01-28"].sort_values(["start"], kind="stable")
    assert sorted(rows.task_id) == sorted(expected.index)
    assert list(rows.planned_start) == sorted(rows.planned_start)
    assert (rows.planned_start == list(base.start[rows.task_id])).all()
    assert (rows[["actual_start", "actual_finish", "remaining_days"]] == "").all().all()
    assert list(rows.columns[:4]) == ["task_id", "actual_start", "actual_finish", "remaining_days"]
    again = runner.invoke(app, args)
    assert again.exit_code == 2
    assert again.output == f"{out}: exists; pass --force to overwrite it\n"
    running = base[(base.start_day < 8) & (base.end_day > 8)].index[0]
    rows.loc[rows.task_id == running, ["actual_start", "remaining_days"]] = [
        base.start[running],
        "4",
    ]
    rows.to_csv(out, index=False)
    outcome = checked(replan(PROJECT, baseline, out, status_date=date(2027, 1, 14)))
    tasks = table(outcome).set_index("task_id")
    assert tasks.end_day[running] == 8 + 4
