"""Ads: spend vs ROAS by channel, campaign and day, with blended figures, alerts and charts.

Levels: channels (with an "All channels" total row) -> campaigns -> days. Enter drills in,
Esc/Backspace drills out. The charts follow the row under the cursor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from dtc_tui.i18n import N_, _, ngettext
from dtc_tui.services.ads.metrics import (
    PRESET_DAYS,
    Period,
    difference,
    fmt_money,
    fmt_percent,
    fmt_ratio,
    fmt_signed,
    fmt_signed_percent,
    last_days,
)
from dtc_tui.services.common import localefmt
from dtc_tui.services.common.text import one_line
from dtc_tui.services.overview.targets import CampaignTarget, Target
from dtc_tui.ui import states
from dtc_tui.ui.safe import safe
from dtc_tui.ui.screens.ads.forms import AdviceScreen, PeriodForm, TargetsForm
from dtc_tui.ui.screens.base import AreaScreen
from dtc_tui.ui.widgets.charts import AdsCharts, ChartSeries
from dtc_tui.ui.widgets.detail import DetailPanel
from dtc_tui.ui.widgets.window_table import Column, ListSource, WindowTable

if TYPE_CHECKING:
    from dtc_tui.services.ads.report import AdsReport, ReportRow

LEVELS = ("channels", "campaigns", "days")
WIDE_FROM = 120  # table width from which the extra columns (conversions, CPC, CPM...) show
DEFAULT_SORTS = {"channels": ("spend", True), "campaigns": ("spend", True), "days": ("name", True)}
ROAS_STYLE = {"loss": "bold red", "low": "yellow", "ok": "green", "none": "dim"}
CPA_STYLE = {"over": "bold red", "above": "yellow", "ok": "", "none": ""}
SHARE_STYLE = {"above": "bold red", "below": "yellow", "within": "green"}
# The same states as glyphs (ui/states.py): under the pause line / over the CPA limit "!",
# below target / above the CPA target "~", so colour is never the only sign.
ROAS_MARK = {"loss": "breached", "low": "at_risk", "ok": "met", "none": "neutral"}
CPA_MARK = {"over": "breached", "above": "at_risk", "ok": "neutral", "none": "neutral"}
SHARE_MARK = {"above": "breached", "below": "at_risk", "within": "met"}
ALERT_LABEL = {"pause": N_("PAUSE"), "cpa": "CPA", "stock": N_("STOCK"), "spend_share": N_("SHARE")}


# --- cells ------------------------------------------------------------------------------------


def short_money(value: float | None, currency: str | None) -> str:
    """£46,206 below 100k, then ₹138k, then $15.3M: fits 8 cells, in the row's own currency."""
    from dtc_tui.services.common.money import short_money as compact

    return compact(value, currency)


def amount_cell(row: ReportRow, which: str) -> Text:
    """Spend or revenue in the row's currency; a row over several currencies without fx rates
    shows its largest currency's amount with a "+" (the detail line lists them all)."""
    if row.mixed:
        parts = sorted(
            ((code, spend if which == "spend" else revenue) for code, spend, revenue in row.by_currency),
            key=lambda item: -item[1],
        )
        if not parts:
            return Text("-", style="dim")
        return Text(short_money(parts[0][1], parts[0][0]) + ("+" if len(parts) > 1 else ""), style="yellow")
    return Text(short_money(row.current.spend if which == "spend" else row.current.revenue, row.currency))


def span(start: date, end: date, *, year: bool = True) -> str:
    """'Oct 21 - Nov 19 2026' / '2026年10月21日至11月19日'; both years when the range crosses one."""
    return localefmt.stock_day_span(start, end, year=year)


def _dash_or(value: str, style: str = "") -> Text:
    return Text(value, style="dim" if value == "-" else style)


def name_cell(row: ReportRow, _now: datetime) -> Text:
    if row.level == "day" and row.day is not None:
        return Text(localefmt.stock_day_label(row.day, "weekday"), style="yellow" if row.targets.peak else "")
    return safe(row.label, style="bold" if row.level == "total" else "")


def roas_cell(row: ReportRow, _now: datetime) -> Text:
    value = fmt_ratio(row.roas)
    if value == "-":
        return states.flag("neutral", value, colour="dim")
    if row.level == "day" and row.below_pause:
        return states.flag("breached", value)
    return states.flag(ROAS_MARK[row.roas_state], value, colour=ROAS_STYLE[row.roas_state])


def roas_change_cell(row: ReportRow, _now: datetime) -> Text:
    value = row.roas_change
    return _dash_or(fmt_signed(value), "green" if value and value > 0 else ("red" if value and value < 0 else ""))


def cpa_cell(row: ReportRow, _now: datetime) -> Text:
    value = fmt_money(row.current.cpa, 2 if (row.current.cpa or 0) < 100 else 0, row.currency)
    if value == "-":
        return states.flag("neutral", value, colour="dim")
    return states.flag(CPA_MARK[row.cpa_state], value, colour=CPA_STYLE[row.cpa_state])


def alert_cell(row: ReportRow, _now: datetime) -> Text:
    if row.level == "day":
        return states.mark("breached", "low") if row.below_pause else Text("")
    if not row.alerts:
        return Text("")
    if row.level == "campaign":
        label = _(ALERT_LABEL.get(row.alerts[0].kind, row.alerts[0].kind))
        return states.mark("breached", label + ("+" if len(row.alerts) > 1 else ""), sep="")
    return states.mark("breached", str(len(row.alerts)))


def make_columns(level: str, wide: bool, all_channels: bool, cpc_warning: float) -> list[tuple[Column, str | None]]:
    """(column, sort key) pairs for a level; the sort key is None where a column does not sort."""
    name_label = {"channels": _("Channel"), "campaigns": _("Campaign"), "days": _("Day")}[level]
    spec: list[tuple[Column, str | None]] = [
        (Column("name", name_label, 18 if level != "days" else 10, name_cell, flex=1), "name")
    ]
    if wide and level == "campaigns" and all_channels:
        spec.append((Column("channel", _("Chan"), 9, lambda r, n: Text(r.channel)), None))
    spec.append((Column("spend", _("Spend"), 8, lambda r, n: amount_cell(r, "spend"), align="right"), "spend"))
    if wide and level != "days":
        spec.append(
            (
                Column(
                    "spend_change",
                    _("±Spend"),
                    7,
                    lambda r, n: _dash_or(fmt_signed_percent(r.spend_change)),
                    align="right",
                ),
                "spend_change",
            )
        )
    spec.append((Column("revenue", _("Revenue"), 8, lambda r, n: amount_cell(r, "revenue"), align="right"), "revenue"))
    spec.append((Column("roas", "ROAS", 7, roas_cell, align="right"), "roas"))
    if level != "days":
        spec.append((Column("roas_change", "±ROAS", 6, roas_change_cell, align="right", drop=2), "roas_change"))
        spec.append(
            (
                Column(
                    "break_even",
                    _("BE"),
                    4,
                    lambda r, n: _dash_or(fmt_ratio(r.break_even, 1), "dim"),
                    align="right",
                    drop=1,
                ),
                "break_even",
            )
        )
    if wide or level == "days":
        spec.append(
            (
                Column(
                    "conversions",
                    _("Conv"),
                    6,
                    lambda r, n: Text(localefmt.number(r.current.conversions)),
                    align="right",
                ),
                "conversions",
            )
        )
    spec.append((Column("cpa", "CPA", 8, cpa_cell, align="right"), "cpa"))
    if wide or level == "days":
        spec.append(
            (
                Column(
                    "cpc",
                    "CPC",
                    5,
                    lambda r, n: _dash_or(
                        fmt_money(r.current.cpc, 2, r.currency), "yellow" if (r.current.cpc or 0) > cpc_warning else ""
                    ),
                    align="right",
                ),
                "cpc",
            )
        )
    if wide:
        cpm = Column("cpm", "CPM", 6, lambda r, n: _dash_or(fmt_money(r.current.cpm, 2, r.currency)), align="right")
        spec.append((cpm, "cpm"))
        spec.append(
            (
                Column("clicks", _("Clicks"), 7, lambda r, n: Text(localefmt.number(r.current.clicks)), align="right"),
                "clicks",
            )
        )
        spec.append(
            (
                Column(
                    "impressions",
                    _("Impr"),
                    9,
                    lambda r, n: Text(localefmt.number(r.current.impressions)),
                    align="right",
                ),
                "impressions",
            )
        )
    spec.append(
        (Column("ctr", "CTR", 5, lambda r, n: _dash_or(fmt_percent(r.current.ctr, 1)), align="right", drop=3), "ctr")
    )
    spec.append(
        (
            Column(
                "conversion_rate",
                "CVR",
                5,
                lambda r, n: _dash_or(fmt_percent(r.current.conversion_rate, 1)),
                align="right",
                drop=4,
            ),
            "conversion_rate",
        )
    )
    spec.append((Column("alerts", _("Alert"), 6, alert_cell), "alerts"))
    return spec


def series_of(
    rows: list[ReportRow], scope: str, target: float, break_even: float | None, report: AdsReport
) -> ChartSeries:
    """Chart data from day rows (oldest first): in one currency, converted at fx rates where a
    day's amounts are in another, a gap where no rate exists (never drawn as 0)."""
    from dtc_tui.services.ads.report import chart_days

    data = chart_days(rows, report)
    return ChartSeries(
        scope,
        list(data.days),
        list(data.spend),
        list(data.revenue),
        list(data.roas),
        target,
        break_even,
        data.currency,
        data.converted,
        data.gaps,
    )


# --- the screen -------------------------------------------------------------------------------


class AdsScreen(AreaScreen):
    AREA = "ads"
    AREA_TITLE = N_("Ads")
    RELOAD_ON_FIRST_SHOW = False  # on_mount reads the report (after the first frame); resumes would read it again
    CSS_PATH = "ads.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "next_period", N_("Period"), id="ads.period"),
        Binding("P", "custom_period", N_("Custom period"), show=False, id="ads.custom_period"),
        Binding("escape,backspace", "drill_out", N_("Back"), id="ads.back"),
        Binding("l,right", "drill_in", N_("Drill in"), show=False, id="ads.drill_in"),
        Binding("h,left", "drill_out", N_("Drill out"), show=False, id="ads.drill_out"),
        Binding("o", "next_sort", N_("Sort"), id="ads.sort"),
        Binding("O", "reverse_sort", N_("Reverse sort"), show=False, id="ads.sort_reverse"),
        Binding("a", "toggle_alerts", N_("Alerts only"), id="ads.alerts"),
        Binding("t", "edit_targets", N_("Targets"), id="ads.targets"),
        Binding("b", "advice", N_("Moves"), id="ads.moves"),
        Binding("c", "toggle_charts", N_("Charts"), show=False, id="ads.charts"),
        Binding("r", "refresh", N_("Refresh"), show=False, id="ads.refresh"),
        Binding("H", "history", N_("History"), show=False, id="ads.history"),
    ]
    HELP_ROWS: ClassVar[list[tuple[str, str]]] = [
        ("Enter, l", N_("Drill in: channel -> campaigns -> days")),
        ("j/k, g/G", N_("Move; the charts follow the row under the cursor")),
        ("p / P", N_("Period: 7, 14, 30, 90 days (complete days, today left out) / custom dates")),
        ("o / O", N_("Sort by the next column / reverse the order")),
        (N_("colours"), N_("ROAS red: below break-even or the pause line; yellow: below target; green: on target")),
    ]

    @property
    def HELP_EXTRA(self) -> list[tuple[str, str]]:
        """The help rows in the language spoken now."""
        return [(_(key), _(text)) for key, text in self.HELP_ROWS]

    def __init__(self) -> None:
        super().__init__()
        self.period: Period | None = None
        self.level = "channels"
        self.channel: str | None = None  # campaigns level: None = every channel
        self.campaign_id: int | None = None  # days level
        self.sorts = dict(DEFAULT_SORTS)
        self.only_alerts = False
        self.report: AdsReport | None = None
        self.day_rows: list[ReportRow] = []
        self.rows: list[ReportRow] = []
        self._sort_keys: list[str | None] = []
        self._chart_cache: dict[tuple[Any, ...], ChartSeries] = {}
        self._wide = False
        self._pending_target: Target | None = None  # from the overview before the first report was read

    def compose_body(self) -> ComposeResult:
        yield Static(id="ads-summary")
        yield WindowTable(
            [],
            clock=self.dtc.clock,
            id="ads-table",
            empty_text=_("Loading..."),  # until the first report is read, right after the first frame
            row_style=lambda r, n: "bold" if r.level == "total" else "",
        )
        yield DetailPanel(max_lines=4, hint=_("b lists the moves"), id="ads-detail")
        yield AdsCharts(id="ads-charts")

    @property
    def table(self) -> WindowTable:
        return self.query_one("#ads-table", WindowTable)

    def on_mount(self) -> None:
        super().on_mount()
        self.period = last_days(30, self.dtc.clock.now())
        self._wide = self.size.width >= WIDE_FROM
        self.table.focus()
        # The report (a dozen queries, the promoted SKUs' stock) is read after the first frame: the
        # screen shows at once, its figures a moment later (issue 20: start to first frame).
        self.call_after_refresh(self._first_load)

    def _first_load(self) -> None:
        self.table.empty_text = _("No rows in this period.")
        self.reload_data()
        if self._pending_target is not None:
            target, self._pending_target = self._pending_target, None
            self.show_target(target)

    def on_resize(self) -> None:
        wide = self.size.width >= WIDE_FROM
        if wide != self._wide:
            self._wide = wide
            self._apply_columns()
        self._update_summary()

    # --- data ---------------------------------------------------------------------------------

    def reload_data(self) -> None:
        if self.period is None:
            return
        days_of = self.campaign_id if self.level == "days" else None
        self.report, days = self.dtc.facades.ads.report_with_days(self.period, days_of)
        if self.level == "days" and days is None:
            self.level, self.campaign_id = "campaigns", None  # the campaign is gone
        self.day_rows = days or []
        self._chart_cache.clear()
        self._show_rows(keep_cursor=True)

    def _current_rows(self) -> list[ReportRow]:
        from dtc_tui.services.ads.report import sort_rows  # the report module loads with the first report

        assert self.report is not None
        key, descending = self.sorts[self.level]
        if self.level == "channels":
            rows = [self.report.total, *sort_rows(self.report.channels, key, descending)]
        elif self.level == "campaigns":
            rows = sort_rows(self.report.campaigns_of(self.channel), key, descending)
        else:
            rows = sort_rows(self.day_rows, key, descending)
        if self.only_alerts:
            rows = [row for row in rows if row.has_alert]
        return rows

    def _apply_columns(self) -> None:
        cpc_warning = self.report.rules.cpc_warning if self.report else 1.5
        spec = make_columns(self.level, self._wide, self.channel is None, cpc_warning)
        sort_key, descending = self.sorts[self.level]
        columns = []
        for column, key in spec:
            if key is not None and key == sort_key:
                column = replace(column, label=column.label + ("▼" if descending else "▲"))
            columns.append(column)
        self._sort_keys = [key for _column, key in spec]
        self.table.set_columns(columns)

    def _show_rows(self, *, keep_cursor: bool, cursor_key: Any = None) -> None:
        if self.report is None:
            return  # a key before the first report: the report shows where it was asked for
        self.rows = self._current_rows()
        self._apply_columns()
        self.table.set_source(ListSource(self.rows, key=lambda r: r.key), keep_cursor=keep_cursor)
        if cursor_key is not None:
            index = next((i for i, row in enumerate(self.rows) if row.key == cursor_key), 0)
            self.table.cursor = index
        self._update_summary()
        self._update_detail()
        self._update_charts()

    # --- text around the table ----------------------------------------------------------------

    def _breadcrumb(self) -> str:
        """Where the table is: short, because the title bar also holds the area tabs."""
        assert self.report is not None
        if self.level == "channels":
            return _("All channels")
        channel = self.report.channel_row(self.channel) if self.channel else None
        if self.level == "campaigns":
            return one_line(channel.label if channel else _("All campaigns"), 40)
        campaign = self.report.campaign_row(self.campaign_id or 0)
        name = campaign.label if campaign else str(self.campaign_id)
        return one_line(f"{campaign.channel if campaign else ''} > {name}", 40)

    def _update_summary(self) -> None:
        """Four short lines (each fits 78 cells), two when the screen is wide."""
        report = self.report
        if report is None:
            return
        self.set_title_text(self._breadcrumb())
        blended, total, period = report.blended, report.total, report.period
        first = Text()
        preset = _("{days} days").format(days=period.preset) if period.preset else _("custom")
        first.append(f" {preset} ", style="reverse")
        first.append(f" {span(period.start, period.end)}")
        first.append(
            "  "
            + _("vs {span}").format(span=span(report.previous_period.start, report.previous_period.end, year=False)),
            style="dim",
        )
        count = len(report.alerts)
        first.append("  ")
        first.append_text(
            states.mark(
                "breached" if count else "met", ngettext("{count} alert", "{count} alerts", count).format(count=count)
            )
        )
        if self.only_alerts:
            first.append(" " + _("[alerts only]"), style="bold yellow")
        spend = Text(_("Spend") + " ")
        if total.mixed:
            from dtc_tui.services.common.money import format_totals

            spend.append(format_totals({code: amount for code, amount, _r in total.by_currency}), style="bold yellow")
        else:
            spend.append(fmt_money(total.current.spend, 0, total.currency), style="bold")
        spend.append(f" {fmt_signed_percent(total.spend_change)}", style="dim")
        spend.append("   " + _("Attributed ROAS (platform revenue / ad spend)") + " ")
        spend.append_text(
            states.flag(
                ROAS_MARK[total.roas_state], fmt_ratio(total.roas), colour=ROAS_STYLE[total.roas_state], pad=False
            )
        )
        spend.append(f" {fmt_signed(total.roas_change)}", style="dim")
        blended_text = Text(_("Blended ROAS (store revenue / ad spend, = MER)") + " ")
        blended_text.append(fmt_ratio(blended.blended_roas) if blended.has_store_data else _("no data"), style="bold")
        blended_text.append(
            f" {fmt_signed(difference(blended.blended_roas, blended.previous_blended_roas))}", style="dim"
        )
        low, high = blended.band
        share = Text(_("Ad spend = "))
        share_state = blended.spend_share_state
        share.append_text(
            states.flag(
                SHARE_MARK.get(share_state, "neutral"),
                fmt_percent(blended.spend_share),
                colour=SHARE_STYLE.get(share_state, ""),
                pad=False,
            )
        )
        stage = _("new") if blended.stage == "new" else (_("steady") if blended.stage == "steady" else blended.stage)
        band = f"{localefmt.number(low * 100)}-{localefmt.number(high * 100)}%"
        share.append(" " + _("of store revenue ({stage} store: {band})").format(stage=stage, band=band))
        if report.peak is not None:
            when = localefmt.stock_day_label(report.peak.ends_on)
            share.append("   " + _("PEAK to {day}").format(day=when), style="bold yellow")
        elif report.upcoming_peak is not None:
            when = localefmt.stock_day_label(report.upcoming_peak.starts_on)
            share.append("   " + _("peak from {day}").format(day=when), style="yellow")
        lines = [first, spend, blended_text, share]
        if self.size.width >= WIDE_FROM + 30:  # two per line when there is room
            lines = [Text("   ").join(lines[:2]), Text("   ").join(lines[2:])]
        for money_line in report.money_lines():  # converted at fx rates, or shown per currency
            warn = money_line == report.fx_warning
            lines.append(Text(("⚠ " if warn else "") + money_line, style="yellow" if warn else "dim"))
        self.query_one("#ads-summary", Static).update(Text("\n").join(lines))

    def _update_detail(self) -> None:
        row = self.table.cursor_row
        text = Text()
        if row is None or self.report is None:
            text.append(_("Nothing to show: no ad data in this period.") if not self.rows else "")
        elif row.level == "campaign":
            text = self._campaign_detail(row)
        elif row.level == "day":
            day = localefmt.stock_day_label(row.day, "weekday_year")
            text.append(_("{day}: ROAS {roas}").format(day=day, roas=fmt_ratio(row.roas)))
            if row.below_pause:
                below = _("below the pause line {roas}").format(roas=fmt_ratio(row.targets.pause_roas))
                text.append_text(states.mark("breached", below))
            text.append(" · " + _("target {roas}").format(roas=fmt_ratio(row.targets.target_roas)))
            if row.targets.peak:
                peak_text = _("peak: {name} (relaxed)").format(name=one_line(row.targets.peak))
                text.append(" · " + peak_text, style="yellow")
            campaign = self.report.campaign_row(self.campaign_id or 0)
            if campaign is not None and campaign.alerts:
                text.append("\n")
                text.append_text(states.mark("breached", safe(campaign.alerts[0].message)))
        else:
            text.append_text(safe(row.label, style="bold"))
            campaigns = ngettext("{count} campaign", "{count} campaigns", row.campaigns).format(count=row.campaigns)
            text.append(
                ": "
                + _("{campaigns} · break-even ROAS {break_even} (revenue-weighted margin) · target {target}").format(
                    campaigns=campaigns, break_even=fmt_ratio(row.break_even), target=fmt_ratio(row.targets.target_roas)
                )
            )
            if row.level == "total":
                share = self.report.blended.attributed_share
                text.append(" · " + _("platforms claim {share} of store revenue").format(share=fmt_percent(share, 0)))
                peak = self.report.peak or self.report.upcoming_peak
                if peak is not None:
                    when = span(peak.starts_on, peak.ends_on, year=False)
                    text.append(
                        " · " + _("peak {name} {span}").format(name=one_line(peak.name), span=when), style="yellow"
                    )
            if row.alerts:
                count = len(row.alerts)
                text.append(
                    "\n"
                    + ngettext(
                        "{count} alert; Enter lists the campaigns, b shows the moves",
                        "{count} alerts; Enter lists the campaigns, b shows the moves",
                        count,
                    ).format(count=count),
                    style=states.style("breached", "red"),
                )
        self.query_one("#ads-detail", DetailPanel).update(text)

    def _campaign_detail(self, row: ReportRow) -> Text:
        """Its alert first (what to do), then targets, break-even, budget and the promoted SKU."""
        info = row.campaign
        assert info is not None
        text = Text()
        if row.alerts:
            text.append_text(states.mark("breached", safe(row.alerts[0].message)))
            if len(row.alerts) > 1:
                more = _("(+{count} more: b)").format(count=len(row.alerts) - 1)
                text.append(" " + more, style=states.style("breached", "red"))
            text.append("\n")
        own = _("own") if info.target_roas is not None else _("default")
        source = _("its SKU") if info.margin_source == "sku" else _("setting")
        text.append(
            _(
                "Target ROAS {roas} ({own}) · break-even {break_even} (margin {margin} from {source}) · "
                "target CPA {cpa} · budget {budget}/day"
            ).format(
                roas=fmt_ratio(row.targets.target_roas),
                own=own,
                break_even=fmt_ratio(row.break_even),
                margin=fmt_percent(info.margin, 0),
                source=source,
                cpa=fmt_money(info.target_cpa, 0, info.currency),
                budget=fmt_money(info.daily_budget, 0, info.currency),
            )
        )
        if info.status != "active":
            text.append(f" · {one_line(info.status)}", style="dim")
        if row.stock is not None:
            text.append(" · " + _("promotes") + " ")
            text.append_text(
                states.mark("breached", safe(row.stock.text))
                if row.stock.at_risk
                else safe(row.stock.text, style="bold")
            )
        if info.promise_days:
            text.append(", " + _("{days}-day delivery promised").format(days=info.promise_days))
        return text

    # --- charts -------------------------------------------------------------------------------

    def _chart_scope(self) -> tuple[tuple[Any, ...], dict[str, Any], ReportRow | None]:
        """What the charts show: the row under the cursor (a day row shows its campaign)."""
        assert self.report is not None
        if self.level == "days":
            return (
                ("campaign", self.campaign_id),
                {"campaign_id": self.campaign_id},
                self.report.campaign_row(self.campaign_id or 0),
            )
        row = self.table.cursor_row
        if row is None or row.level == "total":
            return ("total",), {}, self.report.total
        if row.level == "channel":
            return ("channel", row.channel), {"channel": row.channel}, row
        return ("campaign", row.campaign_id), {"campaign_id": row.campaign_id}, row

    def _update_charts(self) -> None:
        charts = self.query_one(AdsCharts)
        if self.report is None or not charts.display:
            return
        key, scope, row = self._chart_scope()
        series = self._chart_cache.get(key)
        if series is None:
            if self.level == "days":
                days = sorted(self.day_rows, key=lambda r: r.day or 0)
            else:
                days = self.dtc.facades.ads.days(self.report, **scope)
            target = row.targets.target_roas if row else self.report.rules.target_roas
            series = series_of(days, row.label if row else "", target, row.break_even if row else None, self.report)
            self._chart_cache[key] = series
        charts.show(series)

    # --- events and actions -------------------------------------------------------------------

    @on(WindowTable.CursorMoved)
    def _cursor_moved(self) -> None:
        if self.report is not None:
            self._update_detail()
            self._update_charts()

    @on(WindowTable.RowSelected)
    def _row_selected(self, event: WindowTable.RowSelected) -> None:
        self._drill_into(event.row)

    def action_drill_in(self) -> None:
        row = self.table.cursor_row
        if row is not None:
            self._drill_into(row)

    def _drill_into(self, row: ReportRow) -> None:
        if row.level == "total":
            self.level, self.channel = "campaigns", None
        elif row.level == "channel":
            self.level, self.channel = "campaigns", row.channel
        elif row.level == "campaign":
            self.level, self.campaign_id = "days", row.campaign_id
        else:
            return
        if self.level == "days":
            assert self.report is not None
            self.day_rows = self.dtc.facades.ads.days(self.report, campaign_id=self.campaign_id)
        self._show_rows(keep_cursor=False)

    def show_target(self, target: Target) -> None:
        """From the overview: open the campaign's days (its alert shows in the detail line)."""
        if self.report is None:
            self._pending_target = target
            return
        campaign_id = target.campaign_id if isinstance(target, CampaignTarget) else None
        row = self.report.campaign_row(campaign_id) if campaign_id else None
        if row is not None:
            self.level, self.channel, self.only_alerts = "campaigns", row.channel, False  # no old "alerts only"
            self._show_rows(keep_cursor=False, cursor_key=("campaign", row.campaign_id))
            self._drill_into(row)
            self.dtc.notify_safe(_("showing: the days of campaign {name}").format(name=row.label))

    def action_history(self) -> None:
        """The audit log filtered on the campaign shown (days) or under the cursor (campaigns)."""
        from dtc_tui.ui.screens.audit.log import open_history

        row = self.table.cursor_row
        campaign_id = self.campaign_id if self.level == "days" else getattr(row, "campaign_id", None)
        if campaign_id is None:
            self.dtc.notify(_("History is kept per campaign: move to a campaign first."), severity="warning")
            return
        open_history(self.app, "campaign", campaign_id)

    def action_drill_out(self) -> None:
        back_to: tuple[object, ...]
        if self.level == "days":
            self.level, back_to = "campaigns", ("campaign", self.campaign_id)
            self.day_rows = []
        elif self.level == "campaigns":
            self.level, back_to = "channels", (("channel", self.channel) if self.channel else ("total",))
        elif self.only_alerts:
            self.action_toggle_alerts()
            return
        else:
            return
        self._show_rows(keep_cursor=False, cursor_key=back_to)

    def action_next_period(self) -> None:
        current = self.period.preset if self.period else None
        following = [days for days in PRESET_DAYS if current is not None and days > current]
        self._set_period(last_days(following[0] if following else PRESET_DAYS[0], self.dtc.clock.now()))

    def action_custom_period(self) -> None:
        if self.period is None:
            return

        def done(period: Period | None) -> None:
            if period is not None:
                self._set_period(period)

        self.app.push_screen(PeriodForm(self.period), done)

    def _set_period(self, period: Period) -> None:
        self.period = period
        self.reload_data()

    def action_next_sort(self) -> None:
        keys = [key for key in self._sort_keys if key is not None]
        current, _descending = self.sorts[self.level]
        following = keys[(keys.index(current) + 1) % len(keys)] if current in keys else keys[0]
        self.sorts[self.level] = (following, following != "name")
        self._show_rows(keep_cursor=True)

    def action_reverse_sort(self) -> None:
        key, descending = self.sorts[self.level]
        self.sorts[self.level] = (key, not descending)
        self._show_rows(keep_cursor=True)

    def action_toggle_alerts(self) -> None:
        self.only_alerts = not self.only_alerts
        self._show_rows(keep_cursor=True)

    def action_toggle_charts(self) -> None:
        charts = self.query_one(AdsCharts)
        charts.display = not charts.display
        self._update_charts()

    def action_refresh(self) -> None:
        self.reload_data()

    def action_advice(self) -> None:
        if self.report is None:
            return
        alerts = [(alert.subject, alert.message) for alert in self.report.alerts]
        moves = [move.text for move in self.report.moves]
        self.app.push_screen(
            AdviceScreen(_("Alerts and budget moves: {period}").format(period=self.report.period.label), alerts, moves)
        )

    def _target_row(self) -> ReportRow | None:
        if self.report is None:
            return None
        if self.level == "days":
            return self.report.campaign_row(self.campaign_id or 0)
        row = self.table.cursor_row
        return row if row is not None and row.level == "campaign" else None

    def action_edit_targets(self) -> None:
        row = self._target_row()
        if row is None or row.campaign is None or self.report is None:
            self.dtc.notify_safe(
                _("Move to a campaign first (Enter on a channel lists its campaigns)."),
                title=_("Targets"),
                severity="warning",
            )
            return
        info = row.campaign
        self.app.push_screen(
            TargetsForm(
                f"{info.channel} / {info.name}",
                info.target_roas,
                info.target_cpa,
                self.report.rules.target_roas,
                info.currency,
            ),
            self._save_targets_callback(info.id, info.version, info.name, info.currency),
        )

    def _save_targets_callback(
        self, campaign_id: int, version: int, name: str, currency: str = "USD"
    ) -> Callable[[tuple[float | None, float | None] | None], None]:
        def save(values: tuple[float | None, float | None] | None) -> None:
            from dtc_tui.services.ads.report import TargetError

            if values is None:
                return
            target_roas, target_cpa = values
            try:
                self.dtc.facades.ads.set_targets(
                    campaign_id, expected_version=version, target_roas=target_roas, target_cpa=target_cpa
                )
            except TargetError as exc:
                self.dtc.notify_safe(str(exc), title=_("Targets not saved"), severity="error")
                self.reload_data()
                return
            self.dtc.mark_seen()
            roas_text = _("default") if target_roas is None else fmt_ratio(target_roas)
            cpa_text = _("none") if target_cpa is None else fmt_money(target_cpa, 2, currency)
            saved = _("Targets saved for {name}: ROAS {roas}, CPA {cpa}").format(
                name=name, roas=roas_text, cpa=cpa_text
            )
            self.dtc.notify_safe(saved, title=_("Targets"))
            self.reload_data()

        return save
