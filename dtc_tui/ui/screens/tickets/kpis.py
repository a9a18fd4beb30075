"""Support KPIs for a period beside their targets, by agent/channel/category, breaches per day."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Sparkline, Static

from dtc_tui.i18n import N_, _
from dtc_tui.services.common import localefmt
from dtc_tui.services.tickets.kpis import GROUPS, KpiReport
from dtc_tui.ui import states
from dtc_tui.ui.safe import safe
from dtc_tui.ui.screens.base import TitleBar
from dtc_tui.ui.widgets.footer import KeysFooter
from dtc_tui.ui.widgets.vim import VimScroll

if TYPE_CHECKING:
    from dtc_tui.ui.app import DtcApp

PERIODS = ("today", "7d", "30d", "90d")  # the presets [ and ] step through, in the period language
PERIOD_LABEL = {"today": N_("today"), "7d": N_("7d"), "30d": N_("30d"), "90d": N_("90d")}
GROUP_LABEL = {"agent": N_("agent"), "channel": N_("channel"), "category": N_("category")}


class KpiScreen(Screen[None]):
    AREA = "tickets"
    AREA_TITLE = N_("Support KPIs")
    DEFAULT_CSS = """
    KpiScreen #kpi-body { padding: 0 1; }
    KpiScreen Sparkline { height: 3; margin: 0 1; }
    KpiScreen #spark-label { padding: 0 1; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,backspace", "back", N_("Back"), id="kpis.back"),
        Binding("[", "period(-1)", N_("Shorter"), id="kpis.shorter"),
        Binding("]", "period(1)", N_("Longer"), id="kpis.longer"),
        Binding("b", "group", N_("By"), id="kpis.group"),
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
        self.query_one(TitleBar).update(
            Text(_("Support KPIs  {period}  computing...").format(period=_(PERIOD_LABEL[self.period])), style="bold")
        )
        self.compute(self.period)

    @work(exclusive=True, exit_on_error=False, group="kpis")
    async def compute(self, period: str) -> None:
        app: DtcApp = self.app  # type: ignore[assignment]
        result = await app.read_in_background(lambda: app.facades.tickets.kpi_report(period), "kpis")
        if result is not None:
            self._computed(period, result)
        elif period == self.period:  # the read failed and a message says why: no "computing..." left
            self.query_one(TitleBar).update(
                Text(_("Support KPIs  {period}  not computed").format(period=_(PERIOD_LABEL[period])), style="bold")
            )

    def _computed(self, period: str, result: KpiReport) -> None:
        if period != self.period:  # a later key asked for another period; its worker will report
            return
        self.result = result
        self.render_report()

    def render_report(self) -> None:
        r = self.result
        assert r is not None
        title = Text(_("Support KPIs  {period}").format(period=_(PERIOD_LABEL[self.period])), style="bold")
        span = f"{localefmt.brief_day(r.start)} - {localefmt.brief_day_time(r.end)} UTC"
        title.append("  " + _("{span}   [ ] period, b group by").format(span=span), style="dim")
        self.query_one(TitleBar).update(title)
        table = Table(box=None, padding=(0, 2), expand=False)
        for column in (_("KPI"), _("Value"), _("Target"), _("Previous")):
            table.add_column(column, no_wrap=True)
        for kpi, prev in zip(r.overall.kpis, r.previous.kpis, strict=True):
            table.add_row(_(kpi.label), states.verdict(kpi.ok, kpi.text()), kpi.target_text(), prev.text())
        backlog = (
            _("no open tickets")
            if r.backlog_median_age_hours is None
            else _("Backlog: {open} open, median age {median} h, oldest {oldest} h").format(
                open=localefmt.number(r.backlog_open),
                median=localefmt.number(r.backlog_median_age_hours, 1),
                oldest=localefmt.number(r.backlog_oldest_age_hours, 1),
            )
        )
        counts_line = _(
            "Tickets: {created} created, {solved} solved (previous period {before} / {before_solved})"
        ).format(
            created=localefmt.number(r.overall.tickets_created),
            solved=localefmt.number(r.overall.tickets_solved),
            before=localefmt.number(r.previous.tickets_created),
            before_solved=localefmt.number(r.previous.tickets_solved),
        )
        summary: list = [table, Text(backlog), Text(counts_line)]
        for warning in r.warnings:
            summary.append(states.mark("breached", _("WARNING: {warning}").format(warning=warning)))
        from rich.console import Group

        self.query_one("#kpi-summary", Static).update(Group(*summary))
        counts = [n for _day, n in r.breaches_per_day]
        label = Text(
            _("Breaches per day ({total} in period, max {most}/day)").format(
                total=localefmt.number(sum(counts)), most=localefmt.number(max(counts, default=0))
            )
        )
        self.query_one("#spark-label", Static).update(label)
        self.query_one(Sparkline).data = [float(n) for n in counts] or [0.0]
        groups = Table(
            title=Text(_("By {group}").format(group=_(GROUP_LABEL[self.group])), style="bold"),
            title_justify="left",
            box=None,
            padding=(0, 1),
            pad_edge=False,
        )
        short = {
            "fr_sla": _("1st SLA"),  # short: with the glyphs the table fits 80 columns
            "frt_median": _("1st med"),
            "resolution_rate": _("Resolved"),
            "fsr": _("FCR"),
            "csat": _("CSAT"),
            "breach_rate": _("Breaches"),
        }
        keys = tuple(short)
        groups.add_column(_(GROUP_LABEL[self.group]).capitalize(), no_wrap=True)
        groups.add_column(_("Created"), justify="right")
        for key in keys:
            groups.add_column(short[key], justify="right", no_wrap=True)
        for name, kpis in r.groups.get(self.group, {}).items():
            if kpis.tickets_created == 0 and kpis.tickets_solved == 0:
                continue
            groups.add_row(
                safe(name),
                localefmt.number(kpis.tickets_created),
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
