"""Support KPIs for a period beside their targets, by agent/channel/category, breaches per day."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Sparkline, Static

from dtc_tui.services.tickets.kpis import GROUPS, KpiReport
from dtc_tui.ui import states
from dtc_tui.ui.safe import safe
from dtc_tui.ui.screens.base import TitleBar
from dtc_tui.ui.widgets.footer import KeysFooter
from dtc_tui.ui.widgets.vim import VimScroll

PERIODS = ("today", "7d", "30d", "90d")  # the presets [ and ] step through, in the period language


class KpiScreen(Screen[None]):
    AREA = "tickets"
    AREA_TITLE = "Support KPIs"
    DEFAULT_CSS = """
    KpiScreen #kpi-body { padding: 0 1; }
    KpiScreen Sparkline { height: 3; margin: 0 1; }
    KpiScreen #spark-label { padding: 0 1; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,backspace", "back", "Back", id="kpis.back"),
        Binding("[", "period(-1)", "Shorter", id="kpis.shorter"),
        Binding("]", "period(1)", "Longer", id="kpis.longer"),
        Binding("b", "group", "By", id="kpis.group"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.period = "7d"
        self.group = "agent"
        self.result: KpiReport | None = None

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with VimScroll(id="kpi-body"):
            yield Static(id="kpi-summary")
            yield Static(id="spark-label")
            yield Sparkline([], id="breach-spark")
            yield Static(id="kpi-groups")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.reload_data()
        self.query_one("#kpi-body").focus()

    def reload_data(self) -> None:
        """Compute in a worker: a 90-day period over a million tickets takes seconds."""
        self.query_one(TitleBar).update(Text(f"Support KPIs  {self.period}  computing...", style="bold"))
        self.compute(self.period)

    @work(thread=True, exclusive=True, exit_on_error=False, group="kpis")
    def compute(self, period: str) -> None:
        result = self.app.facades.tickets.kpi_report(period)  # type: ignore[attr-defined]
        self.app.call_from_thread(self._computed, period, result)

    def _computed(self, period: str, result: KpiReport) -> None:
        if period != self.period:  # a later key asked for another period; its worker will report
            return
        self.result = result
        self.render_report()

    def render_report(self) -> None:
        r = self.result
        assert r is not None
        title = Text(f"Support KPIs  {self.period}", style="bold")
        title.append(f"  {r.start:%d %b} - {r.end:%d %b %H:%M} UTC   [ ] period, b group by", style="dim")
        self.query_one(TitleBar).update(title)
        table = Table(box=None, padding=(0, 2), expand=False)
        for column in ("KPI", "Value", "Target", "Previous"):
            table.add_column(column, no_wrap=True)
        for kpi, prev in zip(r.overall.kpis, r.previous.kpis, strict=True):
            table.add_row(kpi.label, states.verdict(kpi.ok, kpi.text()), kpi.target_text(), prev.text())
        backlog = (
            "no open tickets"
            if r.backlog_median_age_hours is None
            else (
                f"Backlog: {r.backlog_open} open, median age {r.backlog_median_age_hours:.1f} h, "
                f"oldest {r.backlog_oldest_age_hours:.1f} h"
            )
        )
        counts_line = (
            f"Tickets: {r.overall.tickets_created} created, {r.overall.tickets_solved} solved "
            f"(previous period {r.previous.tickets_created} / {r.previous.tickets_solved})"
        )
        summary: list = [table, Text(backlog), Text(counts_line)]
        for warning in r.warnings:
            summary.append(states.mark("breached", "WARNING: " + warning))
        from rich.console import Group

        self.query_one("#kpi-summary", Static).update(Group(*summary))
        counts = [n for _, n in r.breaches_per_day]
        label = Text(f"Breaches per day ({sum(counts)} in period, max {max(counts, default=0)}/day)")
        self.query_one("#spark-label", Static).update(label)
        self.query_one(Sparkline).data = [float(n) for n in counts] or [0.0]
        groups = Table(
            title=Text(f"By {self.group}", style="bold"), title_justify="left", box=None, padding=(0, 1), pad_edge=False
        )
        short = {
            "fr_sla": "1st SLA",  # short: with the glyphs the table fits 80 columns
            "frt_median": "1st med",
            "resolution_rate": "Resolved",
            "fsr": "FCR",
            "csat": "CSAT",
            "breach_rate": "Breaches",
        }
        keys = tuple(short)
        groups.add_column(self.group.title(), no_wrap=True)
        groups.add_column("Created", justify="right")
        for key in keys:
            groups.add_column(short[key], justify="right", no_wrap=True)
        for name, kpis in r.groups.get(self.group, {}).items():
            if kpis.tickets_created == 0 and kpis.tickets_solved == 0:
                continue
            groups.add_row(
                safe(name),
                str(kpis.tickets_created),
                *[states.verdict(kpis.get(k).ok, kpis.get(k).text()) for k in keys],
            )
        self.query_one("#kpi-groups", Static).update(groups)

    def action_period(self, step: int) -> None:
        names = list(PERIODS)
        self.period = names[max(0, min(len(names) - 1, names.index(self.period) + step))]
        self.reload_data()

    def action_group(self) -> None:
        self.group = GROUPS[(GROUPS.index(self.group) + 1) % len(GROUPS)]
        if self.result is not None:
            self.render_report()

    def action_back(self) -> None:
        self.app.pop_screen()
