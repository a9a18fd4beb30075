"""Ad platform exports -> campaigns and daily ad stats: Meta Ads Manager, Google Ads, TikTok Ads.

Rules where the exports are silent:
- Rows are summed per campaign and day: every column that splits a campaign's day into rows
  (ad set, ad, age, gender, placement, device, region, keyword... mapped or not) is summed over,
  never taken for a duplicate. Only a row equal to an earlier one in every column is a repeat:
  counted once and reported. A file's figures for a campaign and day replace what is stored.
- Revenue is the export's conversion value; where the export has only a ROAS column (Meta's
  ``Purchase ROAS (return on ad spend)``), revenue = ROAS x spend, and the summary says so.
- Google ``Interactions`` are clicks for search, display and shopping campaigns but views for
  video campaigns: there they are not counted as clicks.
- "All time" / lifetime reports and rows spanning more than three years are refused with one
  line on how to export by day; Meta's ``No data available.`` export is "no data", not an error.
- A row covering several days (no ``Day`` column: Meta's ``Reporting starts/ends``, the date
  range line of a Google Ads report) is spread evenly over its days, to the cent, with the
  remainder on the first days (a warning says so). Totals over the range are exact.
- ``Total:`` rows are skipped. Campaigns are matched on (channel, name) and created when new;
  the currency comes from the export (a ``Currency code`` column, or Meta's ``(USD)`` header
  suffix). Amounts are stored in that currency, not converted.
- Clicks are link / destination clicks where the export has them; conversions and revenue are
  purchases and purchase value (Google: conversions and conversion value).
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from datetime import date, timedelta
from typing import Any, ClassVar

from sqlalchemy import select
from sqlmodel import Session

from dtc_tui.i18n import N_, _
from dtc_tui.models import AdChannel, AdStatDaily, Campaign
from dtc_tui.models.base import table_of
from dtc_tui.services.importers.base import Importer, RowCheck, number_text
from dtc_tui.services.importers.columns import Columns, field, normalise
from dtc_tui.services.importers.errors import ImportFailed, RowError, ValueProblem
from dtc_tui.services.importers.upsert import upsert
from dtc_tui.services.importers.values import parse_date

CHANNEL = table_of(AdChannel)
CAMPAIGN = table_of(Campaign)
STAT = table_of(AdStatDaily)
CHANNEL_NAMES = {"google": "Google Ads", "meta": "Meta (Facebook / Instagram)", "tiktok": "TikTok Ads"}
STATUS_WORDS = {
    "enabled": "active",
    "active": "active",
    "delivering": "active",
    "not delivering": "active",
    "paused": "paused",
    "inactive": "paused",
    "off": "paused",
    "disabled": "paused",
    "removed": "removed",
    "deleted": "removed",
    "completed": "ended",
    "ended": "ended",
}
MEASURES = ("spend", "impressions", "clicks", "conversions", "revenue")
SCALE = {"spend": 100, "impressions": 1, "clicks": 1, "conversions": 100, "revenue": 100}  # integer units
_SCALES = tuple((measure, SCALE[measure]) for measure in MEASURES)
MAX_RANGE_DAYS = 366 * 3
BY_DAY = N_("export with a daily breakdown (Meta: Breakdown > By time > Day; Google Ads: Segment > Time > Day)")
# Columns that split a campaign's day into several rows; named in the summary when rows were summed.
BREAKDOWNS = frozenset(
    {
        "age",
        "gender",
        "placement",
        "platform",
        "device",
        "device platform",
        "impression device",
        "region",
        "country",
        "dma region",
        "ad set name",
        "ad name",
        "ad group",
        "ad group name",
        "ad",
        "keyword",
        "search keyword",
        "search term",
        "network",
        "network (with search partners)",
        "ad type",
        "audience",
        "hour of the day",
    }
)
_LIFETIME = re.compile(r"\b(all time|lifetime|maximum)\b", re.IGNORECASE)
_RANGE = re.compile(r"^(.+?)\s+[-–—]\s+(.+)$")
_CURRENCY_CODE = re.compile(r"[A-Z]{3}")


def spread(total: float, scale: int, days: int) -> list[float]:
    """``total`` split over ``days`` in units of 1/scale; the parts add up exactly."""
    units = round(total * scale)
    base, remainder = divmod(units, days)
    return [(base + (1 if index < remainder else 0)) / scale for index in range(days)]


def parse_range(text: str) -> tuple[date, date] | None:
    found = _RANGE.match(text.strip())
    if not found:
        return None
    try:
        start, end = parse_date(found.group(1)), parse_date(found.group(2))
    except ValueProblem:
        return None
    if start is None or end is None:
        return None
    return start, end


class _AdImporter(Importer):
    entity = "ad stat day"
    area = "ads"
    tables = ("ad_stat_daily", "campaign")
    channel: ClassVar[str] = ""

    def begin(self, source: Any, *, writing: bool) -> None:
        super().begin(source, writing=writing)
        self.period: tuple[date, date] | None = None
        self.row_counts: dict[tuple[str, date], int] = {}
        header = source.header
        if not header.has("day") and not header.has("start"):
            self.period = self._period_from_preamble(source.preamble)
            lifetime = any(_LIFETIME.search(cell) for cells in source.preamble for cell in cells)
            if self.period is None and lifetime:
                raise ImportFailed(
                    [
                        RowError(
                            source.name,
                            1,
                            "date range",
                            _("an 'All time' report has no dates: {fix}").format(fix=_(BY_DAY)),
                        )
                    ]
                )
            if self.period is None:
                raise ImportFailed(
                    [
                        RowError(
                            source.name,
                            header.line,
                            "header",
                            "no Day column and no reporting period: cannot tell which days "
                            "these figures cover (export with a daily breakdown)",
                        )
                    ]
                )

    def _period_from_preamble(self, preamble: list[list[str]]) -> tuple[date, date] | None:
        for cells in preamble:
            for cell in cells:
                found = parse_range(cell)
                if found:
                    return found
        return None

    def _is_total(self, row: Any) -> bool:
        return any(cell.strip().lower().startswith("total") for cell in row.cells[:3])

    def currency(self, check: RowCheck) -> str | None:
        code = check.raw("currency") or (self.header.captures.get("currency", "") if self.header else "")
        code = code.strip().upper()
        if code and not _CURRENCY_CODE.fullmatch(code):
            check.problem("currency", _("{code!r} is not a currency code").format(code=code))
            return None
        return code or None

    def status(self, check: RowCheck) -> str | None:
        return STATUS_WORDS.get(check.raw("status").lower())

    def revenue(self, check: RowCheck, spend: float) -> float:
        if check.row.has("revenue") or not check.row.has("roas"):
            return check.number("revenue") or 0.0
        roas = check.number("roas")
        if not self.writing:
            self.note(
                _(
                    "revenue = ROAS x spend: the export has {column!r} and no conversion value "
                    "(ROAS is rounded to 2 decimals, so revenue is within half a cent per unit spent)"
                ).format(column=check.row.label("roas"))
            )
        return round(spend * roas, 2) if roas else 0.0

    def clicks(self, check: RowCheck) -> int:
        return check.integer("clicks") or 0

    def parse(self, row: Any, check: RowCheck) -> dict[str, Any] | None:
        if self._is_total(row):
            self.ignore(N_("total rows"))
            return None
        if row.cells and row.cells[0].strip().lower().startswith("no data available"):
            self.note(
                _("no data in this export (the platform wrote 'No data available.'): pick a period with activity")
            )
            return None
        name = check.text("campaign", required=True, max_length=200)
        if row.has("day"):
            start = end = check.day("day", required=True)
        elif row.has("start"):
            start = check.day("start", required=True)
            end = check.day("end") if row.has("end") else start
            end = end or start
        else:
            start, end = self.period  # type: ignore[misc]
        if start is not None and end is not None:
            if end < start:
                check.problem("end", _("before the start of the reporting period"))
            elif (end - start).days >= MAX_RANGE_DAYS:
                days = (end - start).days + 1
                raise ImportFailed(
                    [
                        RowError(
                            self.source.name,
                            row.line,
                            check.row.label("end"),
                            _("a lifetime report ({days} days in one row, {start} to {end}): {fix}").format(
                                days=number_text(days), start=start, end=end, fix=_(BY_DAY)
                            ),
                        )
                    ]
                )
            elif end != start and not self.writing:
                self.warn(
                    _("no daily breakdown: figures for {start} to {end} spread evenly over {days} days").format(
                        start=start, end=end, days=(end - start).days + 1
                    )
                )
        spend = check.number("spend") or 0.0
        record: dict[str, Any] = {
            "campaign": name,
            "start": start,
            "end": end,
            "row": hash(tuple(map(str.strip, row.cells))),
            "spend": spend,
            "impressions": check.integer("impressions") or 0,
            "clicks": self.clicks(check),
            "conversions": check.number("conversions") or 0.0,
            "revenue": self.revenue(check, spend),
            "currency": self.currency(check),
            "status": self.status(check),
            "external_id": check.text("campaign_id", max_length=64) or None,
            "daily_budget": self.daily_budget(check),
        }
        for measure in MEASURES:
            if record[measure] < 0:
                check.problem(measure, _("negative"))
        return record

    def daily_budget(self, check: RowCheck) -> float | None:
        return None

    def key(self, record: dict[str, Any]) -> Hashable | None:
        # Every cell of the row: rows that differ anywhere (a breakdown) are summed, never duplicates.
        return record["row"]

    def repeated(self, line: int, first_line: int) -> None:
        self.ignore(N_("repeated rows (identical to an earlier row in every column; counted once)"))
        self.warn(
            _("row identical to an earlier one in every column: counted once (first at line {line})").format(
                line=first_line
            ),
            line=line,
        )

    # --- writing: sum per campaign and day, write at the end ---------------------------------

    def prepare(self, session: Session) -> None:
        self.totals: dict[tuple[str, date], list[float]] = {}
        self.campaigns: dict[str, dict[str, Any]] = {}

    def write(self, session: Session, batch: list[tuple[int, dict[str, Any]]]) -> None:
        for _line, record in batch:
            split = (record["campaign"], record["start"])
            self.row_counts[split] = self.row_counts.get(split, 0) + 1
            days = (record["end"] - record["start"]).days + 1
            if days == 1:  # a daily row (nearly every row): spread over one day, without the lists
                total = self.totals.setdefault(split, [0.0] * len(MEASURES))
                for index, (measure, scale) in enumerate(_SCALES):
                    total[index] += round(record[measure] * scale) / scale  # = spread(value, scale, 1)[0]
            else:
                shares = {m: spread(record[m], SCALE[m], days) for m in MEASURES}
                for offset in range(days):
                    total = self.totals.setdefault(
                        (record["campaign"], record["start"] + timedelta(days=offset)), [0.0] * len(MEASURES)
                    )
                    for index, measure in enumerate(MEASURES):
                        total[index] += shares[measure][offset]
            attributes = self.campaigns.setdefault(record["campaign"], {"name": record["campaign"]})
            for name in ("currency", "status", "external_id", "daily_budget"):
                if record[name] is not None:
                    attributes[name] = record[name]

    def _note_breakdowns(self) -> None:
        summed = sum(count for count in self.row_counts.values() if count > 1)
        if not summed:
            return
        header = self.header
        names = [cell.strip() for cell in (header.cells if header else []) if normalise(cell) in BREAKDOWNS]
        by = _(" (the export splits them by {columns})").format(columns=", ".join(names)) if names else ""
        groups = sum(1 for count in self.row_counts.values() if count > 1)
        self.note(
            _("{rows} rows summed into {groups} campaign days{by}").format(
                rows=number_text(summed), groups=number_text(groups), by=by
            )
        )

    def finish(self, session: Session) -> None:
        self._note_breakdowns()
        channel_id = self._channel(session)
        campaign_ids = self._write_campaigns(session, channel_id)
        rows = [
            {
                "campaign_id": campaign_ids[name],
                "day": day,
                "spend": round(t[0], 2),
                "impressions": round(t[1]),
                "clicks": round(t[2]),
                "conversions": round(t[3], 2),
                "revenue": round(t[4], 2),
            }
            for (name, day), t in sorted(self.totals.items())
        ]
        for start in range(0, len(rows), 2000):
            outcome = upsert(session, STAT, ("campaign_id", "day"), rows[start : start + 2000], compare=MEASURES)
            self.inserted += len(outcome.inserted)
            self.updated += len(outcome.updated)
            self.unchanged += outcome.unchanged

    def _channel(self, session: Session) -> int:
        found = session.execute(select(CHANNEL.c.id).where(CHANNEL.c.code == self.channel)).scalar()
        if found is None:
            session.execute(CHANNEL.insert(), [{"code": self.channel, "name": CHANNEL_NAMES[self.channel]}])
            found = session.execute(select(CHANNEL.c.id).where(CHANNEL.c.code == self.channel)).scalar_one()
            self.created["channel"] += 1
        return found

    def _write_campaigns(self, session: Session, channel_id: int) -> dict[str, int]:
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for attributes in self.campaigns.values():
            row = {**attributes, "channel_id": channel_id}
            groups.setdefault(tuple(sorted(row)), []).append(row)
        for columns, rows in groups.items():
            compare = [c for c in columns if c not in ("channel_id", "name")]
            outcome = self.baselines.upsert_merged(
                session,
                CAMPAIGN,
                ("channel_id", "name"),
                rows,
                compare=compare,
                describe=lambda row: f"campaign {row['name']!r}",
                insert_defaults={"version": 1, "status": "active", "currency": "USD", "daily_budget": 0.0},
            )
            self.created["campaign"] += len(outcome.inserted)
            self.touched += len(outcome.updated)
        names = list(self.campaigns)
        ids: dict[str, int] = {}
        for start in range(0, len(names), 500):
            query = select(CAMPAIGN.c.name, CAMPAIGN.c.id).where(
                CAMPAIGN.c.channel_id == channel_id, CAMPAIGN.c.name.in_(names[start : start + 500])
            )
            ids.update(dict(session.execute(query).all()))
        return ids


_MEASURE_FIELDS = (
    field("impressions", "Impressions", "Impr."),
    field("ad_set", "Ad set name", "Ad group name", "Ad group"),
    field("ad", "Ad name", "Ad"),
    field("campaign_id", "Campaign ID"),
    field("currency", "Currency code", "Currency"),
)


class MetaAds(_AdImporter):
    kind = "meta-ads"
    title = "Meta Ads Manager export (CSV)"
    channel = "meta"
    columns = Columns(
        (
            field("campaign", "Campaign name", required=True),
            field("spend", re.compile(r"amount spent \((?P<currency>[a-z]{3})\)"), "Amount spent", required=True),
            field("day", "Day", "Date"),
            field("start", "Reporting starts"),
            field("end", "Reporting ends"),
            field("clicks", "Link clicks", "Clicks (all)", "Clicks"),
            field("conversions", "Purchases", "Website purchases"),
            field(
                "revenue",
                "Purchases conversion value",
                "Purchase conversion value",
                "Website purchases conversion value",
            ),
            field(
                "roas",
                "Purchase ROAS (return on ad spend)",
                "Website purchase ROAS (return on ad spend)",
                "Website purchase ROAS",
                "Purchase ROAS",
            ),
            field("status", "Campaign delivery", "Delivery status", "Delivery"),
            *_MEASURE_FIELDS,
        )
    )


class GoogleAds(_AdImporter):
    kind = "google-ads"
    title = "Google Ads campaign report (CSV)"
    channel = "google"
    columns = Columns(
        (
            field("campaign", "Campaign", "Campaign name", required=True),
            field("spend", "Cost", required=True),
            field("day", "Day", "Date"),
            field("clicks", "Clicks"),
            field("interactions", "Interactions"),
            field("campaign_type", "Campaign type", "Advertising channel type"),
            field("conversions", "Conversions", "Conv."),
            field("revenue", "Conv. value", "Conversion value", "Total conv. value"),
            field("value_per_cost", "Conv. value / cost", "Conv. value / Cost (Platform Comparable)"),
            field("status", "Campaign status"),
            field("budget", "Budget"),
            field("budget_type", "Budget type"),
            *_MEASURE_FIELDS,
        )
    )

    def revenue(self, check: RowCheck, spend: float) -> float:
        if check.row.has("revenue"):
            return check.number("revenue") or 0.0
        ratio = check.number("value_per_cost")  # only a rounded ratio in this report: value = cost x ratio
        return round(spend * ratio, 2) if ratio else 0.0

    def clicks(self, check: RowCheck) -> int:
        if check.row.has("clicks") or not check.row.has("interactions"):
            return check.integer("clicks") or 0
        if "video" in check.raw("campaign_type").lower():
            if not self.writing and check.raw("interactions") not in ("", "0", " --"):
                self.note(_("video campaigns: Interactions are views, not clicks (not counted as clicks)"))
            return 0
        if not self.writing:
            self.note(
                "clicks = Interactions (no Clicks column; for search and display campaigns an interaction is a click)"
            )
        return check.integer("interactions") or 0

    def daily_budget(self, check: RowCheck) -> float | None:
        kind = check.raw("budget_type").lower()
        if kind and kind != "daily":
            return None
        return check.number("budget")


class TikTokAds(_AdImporter):
    kind = "tiktok-ads"
    title = "TikTok Ads export (CSV)"
    channel = "tiktok"
    columns = Columns(
        (
            field("campaign", "Campaign name", "Campaign", required=True),
            field("spend", "Cost", "Spend", "Total cost", required=True),
            field("day", "Date", "By Day", "Day", "Stat time day"),
            field("clicks", "Clicks (destination)", "Clicks (all)", "Clicks"),
            field("conversions", "Complete payment", "Purchases", "Conversions"),
            field(
                "revenue",
                "Total complete payment value",
                "Complete payment value",
                "Total purchase value",
                "Purchase value",
            ),
            field("roas", "Complete payment ROAS", "Purchase ROAS"),
            field("status", "Campaign status", "Primary status", "Status"),
            *_MEASURE_FIELDS,
        )
    )
