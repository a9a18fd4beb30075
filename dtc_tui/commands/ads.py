"""``dtc-tui ads ...``: the ROAS report and the alert check, headless.

``ads check`` exits 1 when any alert is open, so a cron job or CI step can act on it.
"""

from __future__ import annotations

import csv
import sys
from typing import TYPE_CHECKING, Any

import click

from dtc_tui.commands.common import CliContext, csv_option, echo_json, json_option, pass_ctx
from dtc_tui.i18n import _, ngettext
from dtc_tui.services.common.periods import DOCS as PERIOD_DOCS
from dtc_tui.services.common.periods import SYNTAX as PERIOD_SYNTAX

if TYPE_CHECKING:
    from dtc_tui.services.ads.report import AdsReport, ReportRow

BY_CHOICES = ("channel", "campaign", "day")


@click.group("ads")
def ads_group() -> None:
    """Ad spend vs ROAS: report and alert check."""


def _period(ctx: CliContext, period: str, start: str | None, end: str | None) -> Any:
    """--period, or --from/--to (each a day: 2026-10-31, yesterday, 7d ago); a PeriodError exits 2."""
    from dtc_tui.services.ads import metrics as ads_metrics
    from dtc_tui.services.common import periods

    if (start is None) != (end is None):
        raise click.ClickException(_("give both --from and --to for a custom period"))
    if start is not None and end is not None:
        first, last = periods.parse_day(start, ctx.now()), periods.parse_day(end, ctx.now())
        if last < first:
            raise periods.PeriodError(
                _("period ends ({last}) before it starts ({first})").format(last=last, first=first)
            )
        return ads_metrics.custom(first, last)
    return ads_metrics.period_from_text(period, ctx.now())


def _load(ctx: CliContext, period: Any) -> AdsReport:
    from dtc_tui import db
    from dtc_tui.services.ads import report as ads

    with db.read_session(ctx.engine()) as session:
        return ads.load_report(session, period, ctx.now())


period_options = [
    click.option(
        "--period",
        default=None,
        metavar="PERIOD",
        help=f"{PERIOD_SYNTAX}. 7d, 2w = the last 7, 14 complete days (today left out); no hours ({PERIOD_DOCS}).",
    ),
    click.option("--from", "start", metavar="DAY", help="Custom period start (with --to): 2026-10-31, yesterday..."),
    click.option("--to", "end", metavar="DAY", help="Custom period end, included."),
]


def with_period(function: Any) -> Any:
    for option in reversed(period_options):
        function = option(function)
    return function


@ads_group.command("report")
@with_period
@click.option("--by", "by", type=click.Choice(BY_CHOICES), default="channel", show_default=True)
@click.option("--channel", help="Only this channel (code, e.g. meta).")
@click.option("--campaign", "campaign_id", type=int, help="Only this campaign (id); with --by day.")
@click.option("--sort", "sort_key", default=None, help="Sort column: spend, revenue, roas, cpa, ...")
@click.option("--desc", is_flag=True, help="Sort descending.")
@click.option("--only-alerts", is_flag=True, help="Only rows with an alert.")
@json_option()
@csv_option("Print CSV (empty cell where a ratio is undefined).")
@pass_ctx
def report(
    ctx: CliContext,
    period: str | None,
    start: str | None,
    end: str | None,
    by: str,
    channel: str | None,
    campaign_id: int | None,
    sort_key: str | None,
    desc: bool,
    only_alerts: bool,
    as_json: bool,
    as_csv: bool,
) -> None:
    """Spend, revenue, ROAS, CPA, CPC, CPM, CTR and conversion rate against the previous period."""
    from dtc_tui import db
    from dtc_tui.services.ads import report as ads

    if as_json and as_csv:
        raise click.ClickException(_("choose one of --json and --csv"))
    if sort_key is not None and sort_key not in ads.SORT_KEYS:
        raise click.ClickException(
            _("unknown sort column {key!r}; choose one of {keys}").format(key=sort_key, keys=", ".join(ads.SORT_KEYS))
        )
    report_data = _load(ctx, _period(ctx, period or "30d", start, end))
    if channel is not None and report_data.channel_row(channel) is None:
        known = ", ".join(row.channel for row in report_data.channels) or _("none")
        raise click.ClickException(
            _("unknown channel {channel!r}; channels: {known}").format(channel=channel, known=known)
        )
    if campaign_id is not None and report_data.campaign_row(campaign_id) is None:
        raise click.ClickException(_("no campaign with id {id}").format(id=campaign_id))
    if by == "channel":
        rows = [row for row in report_data.channels if channel is None or row.channel == channel]
    elif by == "campaign":
        rows = [
            row for row in report_data.campaigns_of(channel) if campaign_id is None or row.campaign_id == campaign_id
        ]
    else:
        with db.read_session(ctx.engine()) as session:
            rows = ads.load_days(session, report_data, channel=channel, campaign_id=campaign_id)
    if only_alerts:
        rows = [row for row in rows if row.has_alert]
    if sort_key is not None:
        rows = ads.sort_rows(rows, sort_key, desc)
    if as_json:
        data = report_data.as_dict()
        data.pop("channels")
        data.pop("campaigns")
        data["by"] = by
        data["rows"] = [row.as_dict() for row in rows]
        echo_json(data)
    elif as_csv:
        _write_csv(rows, by)
    else:
        _print_text(report_data, rows, by)


def _print_text(report_data: AdsReport, rows: list[ReportRow], by: str) -> None:
    from dtc_tui.services.ads.metrics import fmt_money, fmt_percent, fmt_ratio, fmt_signed_percent

    blended = report_data.blended
    previous = report_data.previous_period
    click.echo(
        _("{period}, against {start} - {end}").format(
            period=report_data.period.label, start=previous.start, end=previous.end
        )
    )
    if report_data.peak is not None:
        click.echo(_("Peak period in force: {name} (relaxed targets)").format(name=report_data.peak.name))
    from dtc_tui.services.common.money import format_totals

    low, high = blended.band
    total = report_data.total
    if total.mixed:
        spend = report_data.spend_by_currency()
        revenue = report_data.revenue_by_currency()
        roas = ", ".join(
            f"{code} {fmt_ratio(revenue.get(code, 0.0) / amount if amount else None)}" for code, amount in spend.items()
        )
        click.echo(
            _("Ad spend {spend}   Attributed ROAS per currency: {roas}").format(spend=format_totals(spend), roas=roas)
        )
    else:
        click.echo(
            _("Ad spend {spend} ({change})   Attributed ROAS (platform revenue / ad spend) {roas}").format(
                spend=fmt_money(total.current.spend, 0, total.currency),
                change=fmt_signed_percent(total.spend_change),
                roas=fmt_ratio(total.roas),
            )
        )
    if blended.spend_known:
        blended_value = fmt_ratio(blended.blended_roas) if blended.has_store_data else _("no data (no store revenue)")
        basis = (
            " " + _("(store revenue {basis})").format(basis=blended.revenue_basis)
            if blended.revenue_basis and blended.has_store_data
            else ""
        )
        stage = {"new": _("new"), "steady": _("steady")}.get(blended.stage, blended.stage)
        click.echo(
            _(
                "Blended ROAS (store revenue / ad spend, = MER) {blended}{basis}   "
                "Ad spend share of store revenue {share} ({stage} target {band})"
            ).format(
                blended=blended_value,
                basis=basis,
                share=fmt_percent(blended.spend_share),
                stage=stage,
                band=f"{low * 100:.0f}-{high * 100:.0f}%",
            )
        )
    else:
        click.echo(
            _("Blended ROAS (= MER) and ad spend share: unknown (ad spend not all in {currency})").format(
                currency=blended.currency
            )
        )
    for line in report_data.money_lines():
        prefix = _("warning") if line == report_data.fx_warning else _("note")
        click.echo(f"{prefix}: {line}")
    click.echo("")
    for line in table_lines(rows, by):
        click.echo(line)
    if by != "day" and report_data.moves:
        from dtc_tui.services.common.text import one_line

        click.echo("")
        click.echo(_("Budget suggestions (never applied automatically):"))
        for move in report_data.moves:
            click.echo(f"  {one_line(move.text)}")


def table_lines(rows: list[ReportRow], by: str) -> list[str]:
    """Fixed-width text columns; "-" where a ratio is undefined; amounts in the row's currency
    (a row over several currencies without fx rates: its amounts per currency, ``$1,200 + ₹55,500``)."""
    from dtc_tui.services.ads.metrics import fmt_money as money
    from dtc_tui.services.ads.metrics import fmt_percent, fmt_ratio, fmt_signed, fmt_signed_percent
    from dtc_tui.services.common.money import format_totals
    from dtc_tui.services.common.text import one_line

    def fmt_money(value: float | None, decimals: int = 0, row: ReportRow | None = None) -> str:
        return money(value, decimals, row.currency if row is not None else None)

    def amount(row: ReportRow, which: int) -> str:
        """Spend (1) or revenue (2) of a row: per currency when it has no one currency."""
        if row.mixed:
            return format_totals({code: spend if which == 1 else revenue for code, spend, revenue in row.by_currency})
        return money(row.current.spend if which == 1 else row.current.revenue, 0, row.currency)

    columns: list[tuple[str, int, Any]] = [
        (
            _("Day") if by == "day" else (_("Campaign") if by == "campaign" else _("Channel")),
            28 if by != "day" else 10,
            lambda r: one_line(r.label if by != "campaign" else f"{r.channel}/{r.label}", 28),
        ),
        (_("Spend"), 10, lambda r: amount(r, 1)),
        (_("Revenue"), 10, lambda r: amount(r, 2)),
        ("ROAS", 5, lambda r: fmt_ratio(r.roas)),
    ]
    if by != "day":
        columns += [
            (_("dSpend"), 6, lambda r: fmt_signed_percent(r.spend_change)),
            (_("dROAS"), 6, lambda r: fmt_signed(r.roas_change)),
            (_("BE"), 5, lambda r: fmt_ratio(r.break_even)),
        ]
    columns += [
        (_("Conv"), 7, lambda r: f"{r.current.conversions:,.1f}"),
        ("CPA", 8, lambda r: fmt_money(r.current.cpa, 2, r)),
        ("CPC", 6, lambda r: fmt_money(r.current.cpc, 2, r)),
        ("CPM", 7, lambda r: fmt_money(r.current.cpm, 2, r)),
        ("CTR", 6, lambda r: fmt_percent(r.current.ctr, 2)),
        ("CVR", 6, lambda r: fmt_percent(r.current.conversion_rate, 2)),
        (
            _("Alerts"),
            0,
            lambda r: ", ".join(a.kind for a in r.alerts) + (_("below pause line") if r.below_pause else ""),
        ),
    ]
    from dtc_tui.services.common.localefmt import pad_cells as pad

    lines = ["  ".join(pad(label, width, right=i > 0) for i, (label, width, _render) in enumerate(columns)).rstrip()]
    for row in rows:
        cells = [str(render(row)) for _label, _width, render in columns]
        lines.append(
            "  ".join(
                pad(cell, width, right=i > 0)
                for i, (cell, (_label, width, _render)) in enumerate(zip(cells, columns, strict=True))
            ).rstrip()
        )
    if not rows:
        lines.append(_("(no rows)"))
    return lines


CSV_FIELDS = [
    "level",
    "label",
    "channel",
    "campaign_id",
    "day",
    "spend",
    "impressions",
    "clicks",
    "conversions",
    "revenue",
    "roas",
    "cpa",
    "cpc",
    "cpm",
    "ctr",
    "conversion_rate",
    "spend_change",
    "roas_change",
    "target_roas",
    "target_cpa",
    "break_even_roas",
    "losing_streak_days",
    "alerts",
]


def _write_csv(rows: list[ReportRow], by: str) -> None:
    from dtc_tui.services.common.text import neutralise_formula

    writer = csv.DictWriter(sys.stdout, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        data = row.as_dict()
        data["label"] = neutralise_formula(str(data["label"]))
        data["alerts"] = "; ".join(f"{a.kind}: {a.message}" for a in row.alerts)
        writer.writerow({key: "" if data.get(key) is None else data.get(key) for key in CSV_FIELDS})


@ads_group.command("check")
@with_period
@json_option()
@pass_ctx
def check(ctx: CliContext, period: str | None, start: str | None, end: str | None, as_json: bool) -> None:
    """Print the ad alerts (pause, CPA, spend share, stock); exit 1 when there are any."""
    report_data = _load(ctx, _period(ctx, period or "7d", start, end))
    alerts = report_data.alerts
    if as_json:
        echo_json(
            {
                "period": report_data.period.as_dict(),
                "currency": report_data.currency,
                "fx_note": report_data.fx_note,
                "fx_warning": report_data.fx_warning,
                "alerts": [alert.as_dict() for alert in alerts],
            }
        )
    elif not alerts:
        click.echo(_("no ad alerts ({period})").format(period=report_data.period.label))
    else:
        count = len(alerts)
        click.echo(
            ngettext("{count} ad alert ({period}):", "{count} ad alerts ({period}):", count).format(
                count=count, period=report_data.period.label
            )
        )
        from dtc_tui.services.common.text import one_line

        for alert in alerts:
            click.echo(f"  [{alert.kind}] {one_line(alert.subject)}: {one_line(alert.message)}")
    sys.exit(1 if alerts else 0)
