"""The HTML page of a `Schedule`: header, KPIs, milestones, the Gantt (filters by site,
deployment, phase and crew pool; date presets; drawn in the browser from `gantt_data`),
crews, crew moves (one row per named crew) and power; self-contained (plotly.js embedded
once, the cartesian bundle `PLOTLY_JS`; works offline). Figures below the first screen are
drawn when scrolled near (page.js); printing lays the page out on landscape pages, the
Gantt split by site. `write_gantt_html` writes it as gantt.html."""

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
from scheduler.reports.crewview import CREW_MERGE_ABOVE, crew_moves, crew_view, moves_text
from scheduler.reports.gantt import Ghost, gantt_data
from scheduler.reports.power import power_view
from scheduler.reports.style import TEMPLATE
from scheduler.reports.tables import sites, task_frame, unique
from scheduler.schedule import Schedule, TaskRow, headline

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0;
 color:#1d2433;background:#eef1f6}
.frame,.frame>thead,.frame>tbody,.frame>*>tr,.frame>*>tr>td{display:block;padding:0;border:0}
header{background:#1d2b4f;color:#fff;padding:18px 28px}
header h1{margin:0 0 4px;font-size:26px} header .sub{opacity:.8;font-size:14px}
nav{margin-top:10px;font-size:14px} nav a{color:#cfe0ff;margin-right:16px;text-decoration:none}
nav a:hover{text-decoration:underline}
main{padding:16px 28px 40px} section{background:#fff;border-radius:8px;padding:14px 18px;
 margin:0 0 18px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h2{font-size:18px;margin:2px 0 8px} .note{color:#5b6478;font-size:13px;margin:0 0 8px}
.kpis{display:flex;flex-wrap:wrap;gap:12px;background:none;box-shadow:none;padding:0}
.kpi{background:#fff;border-radius:8px;padding:12px 18px;min-width:150px;
 box-shadow:0 1px 3px rgba(0,0,0,.08)}
.kpi .v{font-size:24px;font-weight:600} .kpi .l{font-size:12px;color:#5b6478;
 text-transform:uppercase;letter-spacing:.04em}
.kpi.bad .v{color:#c62828} .kpi.good .v{color:#2e7d32}
table.t{border-collapse:collapse;font-size:14px} .t th,.t td{padding:5px 12px;text-align:left;
 border-bottom:1px solid #e3e6ec} .t th{color:#5b6478;font-weight:600}
.t td.num,.t th.num{text-align:right;font-variant-numeric:tabular-nums}
td.late{color:#c62828;font-weight:600} td.ok{color:#2e7d32}
select,button,input{font-size:13px;padding:3px 6px;margin:0 8px 4px 0}
.moves{font-size:14px;margin:0 0 6px}
section.warn{background:#fff4e5;border-left:5px solid #e65100;font-size:14px}
.g-sticky{position:sticky;top:0;z-index:5;background:#fff;border-bottom:1px solid #d0d5df;
 padding-top:6px}
.g-controls{font-size:13px;display:flex;flex-wrap:wrap;align-items:center;gap:2px 10px}
.g-phase{white-space:nowrap} .g-phase input{margin:0 3px 0 0}
.g-phase i{display:inline-block;width:10px;height:10px;margin-right:3px;border-radius:2px}
.g-count{color:#5b6478} #gantt-print{display:none}
.g-part,.g-print-page>div{position:relative}
.g-labels{position:absolute;left:0;text-align:right;pointer-events:none;color:#444;
 font-family:"Open Sans",verdana,arial,sans-serif;white-space:nowrap}
.g-label{overflow:hidden;text-overflow:ellipsis}
@media print{
 body{background:#fff;-webkit-print-color-adjust:exact;print-color-adjust:exact}
 .frame{display:table;width:100%;border-collapse:collapse}
 .frame>thead{display:table-header-group} .frame>tbody{display:table-row-group}
 .frame>*>tr{display:table-row} .frame>*>tr>td{display:table-cell}
 header{padding:4px 0 6px;background:#fff;color:#1d2433;border-bottom:2px solid #1d2b4f}
 header h1{font-size:16px;display:inline;margin-right:12px} header .sub{display:inline;
 font-size:11px} nav,button,.g-sticky,.g-plot,.g-empty,.no-print{display:none!important}
 main{padding:0} section{box-shadow:none;border-radius:0;padding:6px 0;margin:0}
 .kpi{box-shadow:none;border:1px solid #d0d5df;padding:4px 10px} .kpi .v{font-size:16px}
 #gantt-print{display:block} .g-print-page{break-inside:avoid;break-before:page}
 .g-print-page h3{font-size:13px;margin:4px 0}
 .lazy-fig,.fig{break-inside:avoid} tr{break-inside:avoid}
 details{display:block} details>*{display:block}
}
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
    return f"<table class='t'>{head}{''.join(body)}</table>"


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
            f"({len(m.why)} tasks)</summary><table class='t'><tr><th>Task</th><th>Driver kind</th>"
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
    if len(moves.tasks) > CREW_MERGE_ABOVE:
        note += (
            f" Over {CREW_MERGE_ABOVE:,} crew tasks a crew's back-to-back tasks at one site are"
            " one bar (its hover near its middle) and travel bars are dark grey, without"
            " hatching or label."
        )
    div = lazy_figure(crew_view(schedule, moves), "crew-view")
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
    data["layout"].pop("template", None)  # one shared copy: page.js puts it back
    return data


def script_json(value: Any, element_id: str) -> str:
    """``value`` as a JSON data island, safe inside the page."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    text = text.replace("</", "<\\/").replace("<!--", "<\\!--")
    return f"<script type='application/json' id='{element_id}'>{text}</script>"


def lazy_figure(fig: go.Figure, div_id: str) -> str:
    """A figure drawn by page.js when it comes near the screen (its height is kept, so the
    page does not jump)."""
    height = int(fig.layout.height or 450)
    return (
        f"<div class='lazy-fig' id='{div_id}' data-fig='{div_id}-data' "
        f"style='min-height:{height}px'></div>{script_json(_fig_json(fig), f'{div_id}-data')}"
    )


def _asset(name: str) -> str:
    return (Path(__file__).parent / name).read_text(encoding="utf-8")


#: plotly.js as the pages embed it: the cartesian bundle (bar, heatmap, scatter and a few
#: more trace types; 1.5 MB against the full bundle's 4.8 MB, which took the browser
#: 0.8 s more to parse: docs/BENCHMARKS.md, Pages) of the plotly.js version the Python
#: plotly package bundles, from the npm package plotly.js-cartesian-dist-min (MIT licence:
#: vendor/plotly.js-LICENSE). tests/test_reports.py checks the versions match.
PLOTLY_JS = "vendor/plotly-cartesian.min.js"


def html_page(title: str, header: str, main: str) -> str:
    """A self-contained page: ``header`` (repeated on every printed page) over ``main``,
    with plotly.js (`PLOTLY_JS`: figures of the trace types it holds only), the shared
    figure template, the Gantt and page.js."""
    template = json.loads(to_json_plotly(pio.templates[TEMPLATE].to_plotly_json()))
    # plotly's default ("hide past div") measures every tick label of an axis again as
    # each is placed, each measure a layout of the whole page (Chromium profile of
    # atlas-27's page: 0.08 s of its figures' draw time)
    for axis in ("xaxis", "yaxis"):
        template["layout"].setdefault(axis, {})["ticklabeloverflow"] = "allow"
    return "\n".join(
        [
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
            "<meta name='viewport' content='width=device-width, initial-scale=1'>",
            f"<title>{html.escape(title)}</title><style>{_CSS}</style>",
            f"<script>{_asset(PLOTLY_JS)}</script></head><body>",
            f"<table class='frame'><thead><tr><td><header>{header}</header></td></tr></thead>",
            f"<tbody><tr><td><main>{main}</main></td></tr></tbody></table>",
            script_json(template, "plotly-template"),
            f"<script>{_asset('gantt.js')}</script><script>{_asset('page.js')}</script>",
            "</body></html>",
        ]
    )


def gantt_html(schedule: Schedule, baseline: Sequence[TaskRow] | None = None) -> str:
    """The whole page as a string (see `write_gantt_html`)."""
    tasks = task_frame(schedule.tasks)
    k = schedule.kpis
    n_late = sum(m.late_days > 0 for m in schedule.milestones)
    with_target = sum(m.target is not None for m in schedule.milestones)
    shown_sites = sites(schedule, tasks)
    modules = unique(tasks["module_id"])

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
    if k.status_date is not None:
        sub += f" · status date {k.status_date.isoformat()}"

    ghost: Ghost = baseline
    if ghost is None and schedule.replanned:
        ghost = True  # a replanned schedule: ghost its baseline start days
    replan_note = (
        " Replanned: grey ghost bars are the baseline, hatched bars are done, the red line is"
        " the status date."
        if ghost is not None
        else ""
    )
    task_deployment = {t.task_id: t.deployment for t in schedule.tasks}
    header = (
        f"<h1>{html.escape(schedule.project)}</h1><div class='sub'>{html.escape(sub)}</div>"
        "<nav><a href='#milestones'>Milestones</a><a href='#program'>Gantt</a>"
        "<a href='#why'>Why late</a><a href='#crews-section'>Crews</a>"
        "<a href='#crew-moves'>Crew moves</a><a href='#power-section'>Power</a></nav>"
    )
    main = "".join(
        [
            f"<section class='kpis'>{''.join(cards)}</section>",
            f"<section id='milestones'><h2>Milestones</h2>{_milestone_table(schedule)}</section>",
            _why_section(schedule, task_deployment),
            "<section id='program'><h2>Gantt</h2>",
            "<p class='note'>One row per module, grouped by site and deployment; pick a site, "
            "a deployment, phases or a crew pool to narrow it, and a date window (the "
            "lookaheads start at the status date). Bars run from the start date to the end "
            "of the finish date; with many tasks in view a module's back-to-back tasks of "
            "one phase are merged into one bar. ⚡ rows show each site's power supplies "
            "(▲ start, ▽ end); ◆ rows show milestones (| target, ✕ deadline); red outlines "
            f"are the driving chains of late milestones.{replan_note}</p>",
            "<div id='gantt'></div><div id='gantt-print'></div>",
            script_json(gantt_data(schedule, ghost), "gantt-data"),
            "</section><section id='crews-section'><h2>Crews</h2>",
            lazy_figure(resource_view(schedule), "crews"),
            "</section>",
            _crew_moves_section(schedule),
            "<section id='power-section'><h2>Power</h2>",
            "<p class='note'>Stacked areas: permanent, + temporary, + backfeed supply, so the "
            "top of each area is the MW a gate of that level may draw; lines: load of running "
            "and energised tasks at each gate level.</p>",
            lazy_figure(power_view(schedule), "power"),
            "</section>",
        ]
    )
    return html_page(f"{schedule.project} · modsched plan", header, main)


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
