"""Two terminal charts for the ads screen: spend vs revenue per day, and ROAS per day against
its target and break-even lines.

Why plotext and not Sparkline: at 80x24 the charts get about 8 rows each. A Sparkline has no
axis, so "is this above 2.5?" cannot be read from it; plotext draws a y axis with values and
horizontal target / break-even lines, which is the one thing the operator looks for. Braille
markers give 2x4 dots per cell, so 90 days fit in 35 columns.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot

from dtc_tui.i18n import _
from dtc_tui.services.common import localefmt

# plotext colour names, and the Rich styles of the captions that act as legends
SPEND_COLOR, SPEND_STYLE = "orange", "dark_orange"
REVENUE_COLOR, REVENUE_STYLE = "green", "green"
ROAS_COLOR, ROAS_STYLE = "cyan", "cyan"
TARGET_COLOR, TARGET_STYLE = "green", "green"
BREAK_EVEN_COLOR, BREAK_EVEN_STYLE = "red", "red"


@dataclass(frozen=True)
class ChartSeries:
    """One scope's days (oldest first) with what the two charts draw."""

    scope: str
    days: Sequence[date]
    spend: Sequence[float | None]  # None: a gap (the day's amounts could not be put in ``currency``)
    revenue: Sequence[float | None]
    roas: Sequence[float | None]
    target: float
    break_even: float | None
    currency: str | None = "USD"  # of spend and revenue; None: several currencies, no fx rate
    converted: Sequence[str] = ()  # currencies converted to ``currency`` at fx rates (said in the caption)
    gaps: int = 0  # days shown as a gap: several currencies and no fx rate (said in the caption)


def bucketed(series: ChartSeries, max_points: int) -> tuple[ChartSeries, int]:
    """At most ``max_points`` points: consecutive days averaged in buckets of k days.

    A braille chart has 2 dots per cell, so 730 days on 35 cells would overdraw ten times;
    averaging keeps the y axis "per day" and ROAS is recomputed from the sums (never an
    average of ratios). A gap day (None) is left out of its bucket's average; a bucket of gaps
    only stays a gap. Returns the series and k (1 = untouched).
    """
    count = len(series.days)
    if max_points <= 0 or count <= max_points:
        return series, 1
    size = math.ceil(count / max_points)
    days: list[date] = []
    spend: list[float | None] = []
    revenue: list[float | None] = []
    roas: list[float | None] = []
    for start in range(0, count, size):
        chunk = slice(start, min(start + size, count))
        known = [(s, r) for s, r in zip(series.spend[chunk], series.revenue[chunk], strict=True) if s is not None]
        days.append(series.days[start])
        if not known:
            spend.append(None)
            revenue.append(None)
            roas.append(None)
            continue
        total_spend, total_revenue = sum(s for s, _r in known), sum(r or 0.0 for _s, r in known)
        spend.append(total_spend / len(known))
        revenue.append(total_revenue / len(known))
        roas.append(total_revenue / total_spend if total_spend else None)
    return (
        ChartSeries(
            series.scope,
            days,
            spend,
            revenue,
            roas,
            series.target,
            series.break_even,
            series.currency,
            series.converted,
            series.gaps,
        ),
        size,
    )


def tick_positions(count: int, wanted: int) -> list[int]:
    """Up to ``wanted`` evenly spread indexes, first and last included."""
    if count <= 0:
        return []
    if count <= wanted:
        return list(range(count))
    step = (count - 1) / max(wanted - 1, 1)
    return sorted({round(i * step) for i in range(wanted)})


def _x_ticks(plt: Plot, days: Sequence[date], width: int) -> None:
    positions = tick_positions(len(days), max(2, min(5, width // 14)))
    ticks: list[float] = list(positions)
    plt.xticks(ticks, [localefmt.stock_day_label(days[i]) for i in positions])


def _money_ticks(plt: Plot, top: float, currency: str | None) -> None:
    if top <= 0:
        plt.yticks([0], [_short_money(0, currency)])
        return
    values = [0.0, top / 2, top]
    plt.yticks(values, [_short_money(v, currency) for v in values])


def _short_money(value: float, currency: str | None) -> str:
    """Axis labels in the series' own currency (``£1.5k``, ``₹40k``); a bare number when mixed."""
    from dtc_tui.services.common.money import symbol

    mark = "" if currency is None else symbol(currency)
    mark = mark if len(mark) <= 3 else f"{currency} "
    if value >= 1_000_000:
        return f"{mark}{value / 1_000_000:.1f}M"
    if value >= 10_000:
        return f"{mark}{value / 1000:.0f}k"
    if value >= 1000:
        return f"{mark}{value / 1000:.1f}k"
    return f"{mark}{value:.0f}"


def runs(values: Sequence[float | None]) -> list[tuple[list[int], list[float]]]:
    """The stretches of consecutive known values (x, y): a gap (None) breaks the line, never 0."""
    out: list[tuple[list[int], list[float]]] = []
    for index, value in enumerate(values):
        if value is None:
            continue
        if out and out[-1][0][-1] == index - 1:
            out[-1][0].append(index)
            out[-1][1].append(value)
        else:
            out.append(([index], [value]))
    return out


def draw_spend_revenue(plt: Plot, series: ChartSeries, width: int) -> None:
    plt.clear_figure()
    series, _size = bucketed(series, width * 2)
    xs = list(range(len(series.days)))
    if xs:
        plt.xlim(0, max(len(xs) - 1, 1))
        for values, color in ((series.spend, SPEND_COLOR), (series.revenue, REVENUE_COLOR)):
            for run_x, run_y in runs(values):
                plt.plot(run_x, run_y, marker="braille", color=color)
        _x_ticks(plt, series.days, width)
        top = max([v for v in (*series.spend, *series.revenue) if v is not None] + [0.0])
        plt.ylim(0, top * 1.05 if top > 0 else 1)
        _money_ticks(plt, top, series.currency)


def draw_roas(plt: Plot, series: ChartSeries, width: int) -> None:
    plt.clear_figure()
    series, _size = bucketed(series, width * 2)
    points = [(i, value) for i, value in enumerate(series.roas) if value is not None]
    if not series.days:
        return
    top = max([value for _i, value in points] + [series.target, 0.0])
    if _has_break_even(series):
        top = max(top, series.break_even or 0.0)
    plt.xlim(0, max(len(series.days) - 1, 1))
    plt.ylim(0, top * 1.1)
    plt.horizontal_line(series.target, color=TARGET_COLOR)
    if series.break_even is not None and _has_break_even(series):
        plt.horizontal_line(series.break_even, color=BREAK_EVEN_COLOR)
    for run_x, run_y in runs(list(series.roas)):
        plt.plot(run_x, run_y, marker="braille", color=ROAS_COLOR)
    _x_ticks(plt, series.days, width)
    plt.yticks([0, series.target, round(top, 1)], ["0", f"{series.target:.1f}", f"{top:.1f}"])


def _has_break_even(series: ChartSeries) -> bool:
    return series.break_even is not None and series.break_even != float("inf")


def money_note(series: ChartSeries) -> str:
    """What the reader must know about the currency of the amounts: converted, or gaps."""
    converted = bool(series.converted and series.currency)
    if converted and series.gaps:
        note = _("({currency} at fx rates; gaps: mixed currencies, no rate)")
    elif converted:
        note = _("({currency} at fx rates)")
    elif series.gaps:
        note = _("(gaps: mixed currencies, no rate)")
    else:
        return ""
    return " " + note.format(currency=series.currency)


def spend_caption(series: ChartSeries, note: str = "") -> Text:
    text = Text.assemble((_("Spend"), SPEND_STYLE), " " + _("vs") + " ", (_("revenue"), REVENUE_STYLE))
    text.append(money_note(series), style="yellow")
    text.append(note, style="dim")
    text.append(": ")
    text.append(series.scope)
    return text


def roas_caption(series: ChartSeries, note: str = "") -> Text:
    target = _("target {roas}").format(roas=f"{series.target:.2f}")
    text = Text.assemble(("ROAS", ROAS_STYLE), (note, "dim"), "  ", (target, TARGET_STYLE))
    if _has_break_even(series):
        text.append("  " + _("break-even {roas}").format(roas=f"{series.break_even:.2f}"), style=BREAK_EVEN_STYLE)
    return text


def _averaged_note(series: ChartSeries, width: int) -> str:
    _series, size = bucketed(series, width * 2)
    return " " + _("({days}-day avg)").format(days=size) if size > 1 else ""


class SeriesPlot(PlotextPlot):
    """A plotext plot that redraws itself from a ``ChartSeries`` at its current size."""

    def __init__(self, kind: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.kind = kind
        self.series: ChartSeries | None = None

    def show(self, series: ChartSeries) -> None:
        self.series = series
        self.refresh()

    def render(self):
        if self.series is not None:
            draw = draw_spend_revenue if self.kind == "spend" else draw_roas
            draw(self.plt, self.series, self.size.width)
        return super().render()


class AdsCharts(Horizontal):
    """Spend vs revenue on the left, ROAS on the right; a caption line above each is its legend."""

    DEFAULT_CSS = """
    AdsCharts { height: 38%; min-height: 8; }
    AdsCharts > Vertical { width: 1fr; height: 1fr; }
    AdsCharts .ads-chart-caption { height: 1; padding: 0 1; }
    AdsCharts SeriesPlot { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(classes="ads-chart-caption", id="ads-caption-spend")
            yield SeriesPlot("spend", id="ads-chart-spend")
        with Vertical():
            yield Static(classes="ads-chart-caption", id="ads-caption-roas")
            yield SeriesPlot("roas", id="ads-chart-roas")

    series: ChartSeries | None = None

    def on_resize(self) -> None:
        if self.series is not None:  # the caption says whether days are averaged, which depends on width
            self.show(self.series)

    def show(self, series: ChartSeries) -> None:
        self.series = series
        note = _averaged_note(series, self.query_one("#ads-chart-spend", SeriesPlot).size.width)
        self.query_one("#ads-caption-spend", Static).update(spend_caption(series, note))
        self.query_one("#ads-caption-roas", Static).update(roas_caption(series, note))
        for plot in self.query(SeriesPlot):
            plot.show(series)
