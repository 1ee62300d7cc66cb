"""Reports of a `Schedule`: analysis tables, one module per figure, the HTML page.

- `tables`: the DataFrames the figures are drawn from (`power_table`, `crew_table`,
  `crew_weeks`, `task_frame`).
- `gantt`: the Gantt as data the page draws from (`gantt_data`); `power`: MW in use
  against supply; `crews`: busy crews per pool and week; `crewview`: one row per named
  crew, its tasks by site and its travel.
- `page`: the self-contained gantt.html (`gantt_html`, `write_gantt_html`).

Day-indexed series map working day ``d`` to ``Calendar.date_of(d)``.
"""

from scheduler.reports.crews import resource_view
from scheduler.reports.crewview import crew_moves, crew_view
from scheduler.reports.gantt import gantt_data
from scheduler.reports.page import gantt_html, write_gantt_html
from scheduler.reports.power import power_view
from scheduler.reports.tables import crew_table, crew_weeks, power_table

__all__ = [
    "crew_moves",
    "crew_table",
    "crew_view",
    "crew_weeks",
    "gantt_data",
    "gantt_html",
    "power_table",
    "power_view",
    "resource_view",
    "write_gantt_html",
]
