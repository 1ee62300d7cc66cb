"""The HTML page of a `Schedule`: header, KPIs, milestones, the program Gantt, a
per-deployment Gantt (selector), crews, crew moves (one row per named crew) and power,
self-contained (plotly.js embedded once, works offline); `write_gantt_html` writes it as
gantt.html."""

from __future__ import annotations

import html
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from plotly.io.json import to_json_plotly

from scheduler.explain import why_summary
from scheduler.io import write_text
from scheduler.reports.crews import resource_view
from scheduler.reports.crewview import crew_moves, crew_view, moves_text
from scheduler.reports.gantt import PROGRAM_MERGE_ABOVE, Ghost, gantt
from scheduler.reports.power import power_view
from scheduler.reports.style import PLOTLY_CONFIG, TEMPLATE
from scheduler.reports.tables import layout_rows, sites, task_frame, unique
from scheduler.schedule import Schedule, TaskRow, headline

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0;
 color:#1d2433;background:#eef1f6}
header{background:#1d2b4f;color:#fff;padding:18px 28px}
header h1{margin:0 0 4px;font-size:26px} header .sub{opacity:.8;font-size:14px}
nav{margin-top:10px;font-size:14px} nav a{color:#cfe0ff;margin-right:16px;text-decoration:none}
nav a:hover{text-decoration:underline}
.scroll{max-height:1150px;overflow-y:auto;border:1px solid #e3e6ec;border-radius:6px}
main{padding:16px 28px 40px} section{background:#fff;border-radius:8px;padding:14px 18px;
 margin:0 0 18px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h2{font-size:18px;margin:2px 0 8px} .note{color:#5b6478;font-size:13px;margin:0 0 8px}
.kpis{display:flex;flex-wrap:wrap;gap:12px;background:none;box-shadow:none;padding:0}
.kpi{background:#fff;border-radius:8px;padding:12px 18px;min-width:150px;
 box-shadow:0 1px 3px rgba(0,0,0,.08)}
.kpi .v{font-size:24px;font-weight:600} .kpi .l{font-size:12px;color:#5b6478;
 text-transform:uppercase;letter-spacing:.04em}
.kpi.bad .v{color:#c62828} .kpi.good .v{color:#2e7d32}
table{border-collapse:collapse;font-size:14px} th,td{padding:5px 12px;text-align:left;
 border-bottom:1px solid #e3e6ec} th{color:#5b6478;font-weight:600}
td.late{color:#c62828;font-weight:600} td.ok{color:#2e7d32}
select{font-size:14px;padding:4px 8px;margin:0 8px 8px 0}
.moves{font-size:14px;margin:0 0 6px}
"""


def _milestone_table(schedule: Schedule) -> str:
    if not schedule.milestones:
        return "<p class='note'>No milestones.</p>"
    variance = any(m.variance_days is not None for m in schedule.milestones)
    head = (
        "<tr><th>Milestone</th><th>Finish</th><th>Target</th><th>Late (working days)"
        "</th><th>Deadline</th><th>Weight</th>"
        + ("<th>Baseline</th><th>Variance (working days)</th>" if variance else "")
        + "</tr>"
    )
    body = []
    for m in schedule.milestones:
        against = ""
        if variance:
            moved = m.variance_days
            cls = "late" if moved and moved > 0 else "ok"
            against = (
                f"<td>{m.baseline or '-'}</td>"
                f"<td class='{cls}'>{'-' if moved is None else f'{moved:+d}'}</td>"
            )
        late, done, target, deadline = m.late_days, m.date, m.target, m.deadline
        late_cell = (
            f"<td class='late'>{late}</td>"
            if late > 0
            else f"<td class='ok'>{'0' if target else '-'}</td>"
        )
        missed = bool(deadline and done and done > deadline)
        dead_cell = (
            f"<td class='late'>{deadline} missed</td>" if missed else f"<td>{deadline or '-'}</td>"
        )
        body.append(
            f"<tr><td>{html.escape(m.milestone_id)}</td><td>{done or '-'}</td>"
            f"<td>{target or '-'}</td>{late_cell}{dead_cell}<td>{m.weight}</td>{against}</tr>"
        )
    return f"<table>{head}{''.join(body)}</table>"


def _why_section(schedule: Schedule, deployments: dict[str, str]) -> str:
    """Each late milestone's driving chain, root first, and what would have to change;
    a button shows the deployment of the chain's last task with the chain outlined."""
    late = [m for m in schedule.milestones if m.why]
    if not late:
        return ""
    parts = [
        "<section id='why'><h2>Why late</h2><p class='note'>Each late milestone's driving "
        "chain: from the milestone's last task, what set its start (a link, a crew, a "
        "resource, a factory slot, power), back to a cause outside the work. The chain's "
        "tasks are outlined in red in the Gantt charts.</p>"
    ]
    for m in late:
        dep = deployments.get(m.why[0].task, "")
        button = (
            f" <button class='why-show' data-dep='{html.escape(dep, quote=True)}'>show "
            f"{html.escape(dep)}</button>"
            if dep
            else ""
        )
        rows = "".join(
            f"<tr><td>{html.escape(step.task)}</td><td>{html.escape(step.kind)}</td>"
            f"<td>{html.escape(step.cause)}</td><td>{step.days}</td></tr>"
            for step in reversed(m.why)
        )
        parts.append(
            f"<h3>{html.escape(m.milestone_id)}: {m.late_days} working days late{button}</h3>"
            f"<p>Would have to change: <b>{html.escape(why_summary(m.why, schedule.pools))}</b></p>"
            "<details><summary>the chain, root first "
            f"({len(m.why)} tasks)</summary><table><tr><th>Task</th><th>Driver kind</th>"
            f"<th>Waits for</th><th>Working days</th></tr>{rows}</table></details>"
        )
    parts.append("</section>")
    return "".join(parts)


def _crew_moves_section(schedule: Schedule) -> str:
    """The crew view: one row per named crew of the pools whose crews travel (without
    travel in the project: of the pools whose crews work at more than one site), moves per
    pool in the header."""
    moves = crew_moves(schedule)
    head = "<section id='crew-moves'><h2>Crew moves</h2>"
    if not moves.pools:
        why = (
            "No pool's crews travel between sites."
            if moves.travel
            else "No named crew works at more than one site."
        )
        return f"{head}<p class='note'>{why}</p></section>"
    if moves.travel:
        note = (
            "One row per named crew of the pools whose crews travel (DESIGN.md, Travel); "
            "bars are tasks, coloured by site; a grey hatched bar is a crew's travel between "
            "two sites, labelled with both sites and the travel days, on the working days "
            "right after the first task's end. A move is a crew's next task at another site."
        )
    else:
        note = (
            "The project has no travel: one row per named crew of the pools whose crews work "
            "at more than one site in this plan; bars are tasks, coloured by site. A move is "
            "a crew's next task at another site; with travel (DESIGN.md, Travel) each would "
            "need travel days, drawn as grey hatched bars."
        )
    fig = crew_view(schedule, moves)
    div = _div(fig, False, "crew-view")
    if (fig.layout.height or 0) > 1200:
        div = f"<div class='scroll'>{div}</div>"
    return (
        f"{head}<p class='moves'><b>Moves per pool</b>: {html.escape(moves_text(moves))}</p>"
        f"<p class='note'>{html.escape(note)}</p>{div}</section>"
    )


def _solver_text(schedule: Schedule) -> str:
    s = schedule.solver
    late, finish = headline(schedule)
    text = f"{late} · {finish} working days · {s.name} {s.status}".strip()
    if s.method:
        text += f" ({s.method})"
    text += f" · objective {'' if s.objective is None else s.objective}"
    if s.bound is not None:
        text += f" · bound {s.bound}"
    if s.gap is not None:
        text += f" · gap {s.gap:.1%}"
    return text + f" · {s.seconds:.1f} s"


def _fig_json(fig: go.Figure) -> dict[str, Any]:
    data = json.loads(fig.to_json())
    data["layout"].pop("template", None)
    return data


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(value, separators=(",", ":")).replace("</", "<\\/").replace("<!--", "<\\!--")


def _div(fig: go.Figure, include_plotlyjs: bool, div_id: str) -> str:
    return pio.to_html(
        fig,
        include_plotlyjs=include_plotlyjs,
        full_html=False,
        config=PLOTLY_CONFIG,
        default_height=f"{int(fig.layout.height or 500)}px",
        div_id=div_id,
    )


def gantt_html(schedule: Schedule, baseline: Sequence[TaskRow] | None = None) -> str:
    """The whole page as a string (see `write_gantt_html`)."""
    tasks = task_frame(schedule.tasks)
    k = schedule.kpis
    n_late = sum(m.late_days > 0 for m in schedule.milestones)
    with_target = sum(m.target is not None for m in schedule.milestones)
    shown_sites = sites(schedule, tasks)
    modules = unique(tasks["module_id"])
    merge = len(tasks) > PROGRAM_MERGE_ABOVE

    def card(label: str, value: Any, cls: str = "") -> str:
        return (
            f"<div class='kpi {cls}'><div class='v'>{html.escape(str(value))}</div>"
            f"<div class='l'>{html.escape(label)}</div></div>"
        )

    finish_label = "finish"
    if k.finish_variance_days is not None:
        finish_label = (
            f"finish · baseline {k.baseline_finish} ({k.finish_variance_days:+d} working days)"
        )
    finish_class = "bad" if (k.finish_variance_days or 0) > 0 else ""
    cards = [
        card(finish_label, k.finish.isoformat(), finish_class),
        card("makespan (working days)", k.makespan_days),
        card(
            "milestones late",
            f"{n_late} of {with_target}" if with_target else "-",
            "bad" if n_late else "good",
        ),
        card("late days (sum)", k.tardiness_days, "bad" if k.tardiness_days > 0 else "good"),
        card("sites · modules · tasks", f"{len(shown_sites)} · {len(modules)} · {len(tasks)}"),
    ]
    solver_text = _solver_text(schedule)
    sub = f"Program start {schedule.program_start.isoformat()}" + (
        f" · solver: {solver_text}" if solver_text else ""
    )

    ghost: Ghost = baseline
    if ghost is None and schedule.replanned:
        ghost = True  # a replanned schedule: ghost its baseline start days
    program = gantt(schedule, baseline=None if merge else ghost, merge_runs=merge)
    program_div = _div(program, True, "program-gantt")
    tall = (program.layout.height or 0) > 1200
    dep_figs: dict[str, Any] = {}
    options = []  # grouped by site, in the Gantt's order
    for site, site_deployments, _ in layout_rows(tasks, shown_sites):
        options.append(f"<optgroup label='{html.escape(site, quote=True)}'>")
        for dep in site_deployments:
            here = tasks[tasks["deployment"] == dep]
            n_mod = len(unique(here["module_id"]))
            dep_figs[dep] = _fig_json(gantt(schedule, dep, baseline=ghost))
            plural = "module" if n_mod == 1 else "modules"
            label = f"{dep} ({n_mod} {plural}, {len(here)} tasks)"
            value = html.escape(dep, quote=True)
            options.append(f"<option value='{value}'>{html.escape(label)}</option>")
        options.append("</optgroup>")
    replan_note = (
        (
            " Replanned: in the deployment views below, grey ghost bars are the baseline and"
            " hatched bars are done; the red line is the status date."
            if merge
            else " Replanned: grey ghost bars are the baseline, hatched bars are done, the red line"
            " is the status date."
        )
        if ghost is not None
        else ""
    )
    template = json.loads(to_json_plotly(pio.templates[TEMPLATE].to_plotly_json()))
    task_deployment = {t.task_id: t.deployment for t in schedule.tasks}
    worst = max(schedule.milestones, key=lambda m: m.late_days * bool(m.why), default=None)
    first_why = task_deployment.get(worst.why[0].task, "") if worst and worst.why else ""
    merge_note = (
        "Each bar is a run of a module's back-to-back tasks in one phase (the program has "
        f"{len(tasks)} tasks); pick a deployment below to see every task."
        if merge
        else "Every task of the program; one row per module, grouped by site."
    )
    dep_script = f"""<script>
(function(){{
const FIGS = {_script_json(dep_figs)};
const TEMPLATE = {_script_json(template)};
const CONFIG = {_script_json(PLOTLY_CONFIG)};
const FIRST = {_script_json(first_why)};
const sel = document.getElementById('dep-select');
function show(id){{
  const f = FIGS[id]; if(!f) return;
  const layout = Object.assign({{}}, f.layout, {{template: TEMPLATE}});
  const div = document.getElementById('dep-gantt');
  div.style.height = (layout.height || 500) + 'px';
  Plotly.react(div, f.data, layout, CONFIG);
}}
sel.addEventListener('change', function(){{ show(sel.value); }});
document.querySelectorAll('button.why-show').forEach(function(b){{
  b.addEventListener('click', function(){{
    sel.value = b.dataset.dep; show(sel.value);
    document.getElementById('deployment').scrollIntoView();
  }});
}});
if(FIRST && FIGS[FIRST]) sel.value = FIRST;
if(sel.value) show(sel.value);
}})();
</script>"""
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{html.escape(schedule.project)} · modsched plan</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<header><h1>{html.escape(schedule.project)}</h1>",
        f"<div class='sub'>{html.escape(sub)}</div>",
        "<nav><a href='#milestones'>Milestones</a><a href='#program'>Program Gantt</a>"
        "<a href='#why'>Why late</a><a href='#deployment'>Deployment</a>"
        "<a href='#crews-section'>Crews</a><a href='#crew-moves'>Crew moves</a>"
        "<a href='#power-section'>Power</a></nav></header><main>",
        f"<section class='kpis'>{''.join(cards)}</section>",
        f"<section id='milestones'><h2>Milestones</h2>{_milestone_table(schedule)}</section>",
        _why_section(schedule, task_deployment),
        "<section id='program'><h2>Program Gantt</h2>",
        f"<p class='note'>{html.escape(merge_note)} Bars run from the start date to the end "
        "of the finish date; ⚡ rows show each site's power supplies (▲ start, ▽ end); "
        f"◆ rows show milestones (| target, ✕ deadline).{replan_note}</p>",
        f"<div class='scroll'>{program_div}</div>" if tall else program_div,
        "</section><section id='deployment'><h2>Deployment</h2>",
        "<label for='dep-select'>Deployment:</label> "
        f"<select id='dep-select'>{''.join(options)}</select>",
        "<div id='dep-gantt'></div>",
        dep_script,
        "</section><section id='crews-section'><h2>Crews</h2>",
        _div(resource_view(schedule), False, "crews"),
        "</section>",
        _crew_moves_section(schedule),
        "<section id='power-section'><h2>Power</h2>",
        "<p class='note'>Stacked areas: permanent, + temporary, + backfeed supply, so the "
        "top of each area is the MW a gate of that level may draw; lines: load of running "
        "and energised tasks at each gate level.</p>",
        _div(power_view(schedule), False, "power"),
        "</section></main></body></html>",
    ]
    return "\n".join(parts)


def write_gantt_html(
    schedule: Schedule, path: str | os.PathLike[str], baseline: Sequence[TaskRow] | None = None
) -> Path:
    """Write the self-contained page (works offline) atomically (`io.write_atomic`).

    ``baseline``: the task rows of a baseline plan, drawn as grey ghost bars behind the
    Gantt bars; by default a replanned schedule (rows with ``baseline_start_day``) ghosts
    its own baseline days.
    """
    target = Path(path)
    write_text(target, gantt_html(schedule, baseline))
    return target
