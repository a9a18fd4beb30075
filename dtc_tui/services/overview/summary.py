"""The overview: what needs the operator now across all four areas, most urgent first,
plus each area's headline numbers against their targets, and the cross-area signals.

``check`` is the same computation as a pass/fail for cron (``dtc-tui check``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from dtc_tui import db
from dtc_tui.i18n import N_, _
from dtc_tui.services.common import settings
from dtc_tui.services.overview.messages import Message, english, message, translated
from dtc_tui.services.overview.signals import SIGNAL_KINDS, Signal, all_signals
from dtc_tui.services.overview.targets import (
    CampaignTarget,
    MoreTarget,
    PurchaseOrderTarget,
    SkuTarget,
    Target,
    TeamTarget,
    TicketTarget,
)
from dtc_tui.services.tickets import sla

AREAS = ("tickets", "inventory", "ads", "team", "signals")
# A ticket item's title by (SLA metric, view): whole sentences, so a translation can order them.
TICKET_TITLES = {
    ("first_response", "breached"): N_("#{id} first response breached ({left})"),
    ("first_response", "at_risk"): N_("#{id} first response at risk ({left})"),
    ("next_response", "breached"): N_("#{id} next response breached ({left})"),
    ("next_response", "at_risk"): N_("#{id} next response at risk ({left})"),
    ("resolution", "breached"): N_("#{id} resolution breached ({left})"),
    ("resolution", "at_risk"): N_("#{id} resolution at risk ({left})"),
}
AREA_MORE = {
    "tickets": N_("{total} in all: open the tickets screen"),
    "inventory": N_("{total} in all: open the inventory screen"),
    "ads": N_("{total} in all: open the ads screen"),
    "team": N_("{total} in all: open the team screen"),
}


@dataclass(frozen=True)
class Item:
    """``title`` and ``detail`` are what JSON carries and what an acknowledgement's fingerprint
    hashes (acks.py). Where ``title_msg``/``detail_msg`` are set, they are English and the messages
    are what people read in their language (``shown_title``/``shown_detail``), so an item
    acknowledged in one language stays so in the other. Team items (and the routing-gap signal)
    take the team check's message as written in the active language: their fingerprint is only its
    numbers, kept in order by the translations, and their key is the duty/person/category."""

    area: str  # the screen Enter opens
    kind: str
    urgency: float
    title: str
    detail: str
    target: Target = None
    title_msg: Message | None = field(default=None, compare=False)
    detail_msg: Message | None = field(default=None, compare=False)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("title_msg")
        data.pop("detail_msg")
        return data

    def shown_title(self) -> str:
        return translated(self.title_msg) if self.title_msg else self.title

    def shown_detail(self) -> str:
        return translated(self.detail_msg) if self.detail_msg else self.detail


def _item(area: str, kind: str, urgency: float, title: Message, detail: Message, target: Target = None) -> Item:
    return Item(area, kind, urgency, english(title), english(detail), target, title, detail)


MORE_TITLE = N_("... and {count} more")


@dataclass(frozen=True)
class Headline:
    area: str
    label: str
    value: str
    target: str
    ok: bool | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Overview:
    now: datetime
    items: list[Item]
    headlines: list[Headline]
    signals: list[Signal]
    counts: dict[str, int]  # kind -> how many there are (items list at most N of each)
    hidden: list[Any] = field(default_factory=list)  # acks.Hidden: acknowledged / snoozed for this operator

    def as_dict(self) -> dict[str, Any]:
        return {
            "now": self.now,
            "counts": self.counts,
            "items": [i.as_dict() for i in self.items],
            "headlines": [h.as_dict() for h in self.headlines],
            "signals": [s.as_dict() for s in self.signals],
        }

    @property
    def needs_attention(self) -> bool:
        return bool(self.items)


def _cap(items: list[Item], per_kind: int, counts: dict[str, int]) -> list[Item]:
    """At most ``per_kind`` items of each kind, with a closing "and N more" item."""
    kept: list[Item] = []
    seen: dict[str, int] = {}
    for item in sorted(items, key=lambda i: -i.urgency):
        seen[item.kind] = seen.get(item.kind, 0) + 1
        counts[item.kind] = counts.get(item.kind, 0) + 1
        if seen[item.kind] <= per_kind:
            kept.append(item)
    for kind, total in seen.items():
        if total > per_kind:
            last = [i for i in kept if i.kind == kind][-1]  # "and N more" sits right under its kind's last item
            kept.append(
                _item(
                    last.area,
                    kind,
                    last.urgency - 0.001,
                    message(MORE_TITLE, count=total - per_kind),
                    message(
                        AREA_MORE.get(last.area, N_("{total} in all: open the {area} screen")),
                        total=total,
                        area=last.area,
                    ),
                    MoreTarget(kind),
                )
            )
    return sorted(kept, key=lambda i: -i.urgency)


# --- tickets ------------------------------------------------------------------------------------


def _tickets(engine: Engine, now: datetime, per_kind: int) -> tuple[list[Item], list[Headline], dict[str, int]]:
    """The most urgent breached / at-risk tickets (one page each) and how many there are in all."""
    from dtc_tui.services.common.text import one_line
    from dtc_tui.services.tickets.kpis import HEADLINE_PERIOD, period_kpis, report_window
    from dtc_tui.services.tickets.queue import QueueQuery, TicketQueueSource

    items: list[Item] = []
    counts = {}
    totals: dict[str, int] = {}
    for view, kind, base in (("breached", "ticket_breached", 80.0), ("at_risk", "ticket_at_risk", 62.0)):
        source = TicketQueueSource(engine, QueueQuery(view=view, now=now))
        counts[view] = totals[kind] = source.count()
        for row in source.fetch(0, per_kind):
            left = sla.format_remaining(now, row.next_due_at)
            metric = (row.next_due_metric or "").replace("_", " ")
            state = "breached" if view == "breached" else "at risk"
            overdue = max((now - row.next_due_at).total_seconds() / 3600, 0) if row.next_due_at else 0
            title = TICKET_TITLES.get((row.next_due_metric or "", view), N_("#{id} {metric} {state} ({left})"))
            owner = row.assignee or ""
            items.append(
                _item(
                    "tickets",
                    kind,
                    base + min(overdue, 9),
                    message(title, id=row.id, metric=metric, state=state, left=left),
                    message(
                        N_("{subject} · {priority} · {channel} · owner {owner}")
                        if owner
                        else N_("{subject} · {priority} · {channel} · owner nobody"),
                        subject=one_line(row.subject, 70),
                        priority=row.priority,
                        channel=row.channel,
                        owner=owner,
                    ),
                    TicketTarget(row.id),
                )
            )
    # The same window as the KPI screen's and `sla report`'s "7d" (today and the 6 days before it, from
    # midnight): a rolling now-7x24h here gave other figures at the same minute (4h31m vs 4h38m).
    start, end = report_window(HEADLINE_PERIOD, now)
    with db.read_session(engine) as session:
        kpis = period_kpis(session, start=start, end=end)  # counted in SQL, this period only
    headlines = [
        Headline("tickets", N_("Breached now"), f"{counts['breached']:,}", "0", counts["breached"] == 0),
        Headline("tickets", N_("At risk now"), f"{counts['at_risk']:,}", "", None),
    ]
    short = {
        "frt_median": N_("1st response median 7d"),
        "breach_rate": N_("Breach rate 7d"),
        "csat": N_("CSAT 7d"),
        "fsr": N_("First-contact resolved 7d"),
    }
    for key, label in short.items():
        kpi = kpis.get(key)
        headlines.append(Headline("tickets", label, kpi.text(), kpi.target_text(), kpi.ok))
    return items, headlines, totals


# --- inventory ----------------------------------------------------------------------------------


def _inventory(session: Any, now: datetime) -> tuple[list[Item], list[Headline]]:
    from dtc_tui.services.inventory.health import health_from
    from dtc_tui.services.inventory.purchasing import list_pos
    from dtc_tui.services.inventory.stock_state import stock_facts

    stock = stock_facts(session, now)  # the stock snapshot when current, else from the reorder board
    items = []
    for total in stock.reorder:  # out of stock or to reorder now, by urgency
        base = 70.0 if total.state == "out" else 55.0
        title = (
            message(
                N_("{code} {state} (out {out:%b %d})"),
                code=total.code,
                state=total.state_label,
                out=total.stockout_date,
            )
            if total.stockout_date
            else message(N_("{code} {state} (no sales to project)"), code=total.code, state=total.state_label)
        )
        facts = {
            "name": total.name,
            "abc": total.abc,
            "available": total.available,
            "velocity": total.velocity,
            "lead": total.lead_time,
        }
        detail = (
            message(
                N_(
                    "{name} · class {abc} · {available:,} available · {velocity:.1f}/day · "
                    "lead time {lead} days · {action}"
                ),
                action=total.action,
                **facts,
            )
            if total.action
            else message(
                N_("{name} · class {abc} · {available:,} available · {velocity:.1f}/day · lead time {lead} days"),
                **facts,
            )
        )
        items.append(
            _item(
                "inventory",
                "sku_reorder",
                base + (5 if total.abc == "A" else 0),
                title,
                detail,
                SkuTarget(total.sku_id),
            )
        )
    late = [po for po in list_pos(session, now, statuses=("sent", "partial")) if po.late_days > 0]
    for po in late:
        items.append(
            _item(
                "inventory",
                "po_late",
                50.0 + po.late_days,
                message(N_("{number} is {days} days late"), number=po.number, days=po.late_days),
                message(
                    N_("{supplier} → {warehouse} · {units} units open · expected {expected:%b %d}"),
                    supplier=po.supplier,
                    warehouse=po.warehouse,
                    units=f"{po.units_ordered - po.units_received:,}",
                    expected=po.expected_at,
                )
                if po.expected_at
                else message("{supplier}", supplier=po.supplier),
                PurchaseOrderTarget(po.number),
            )
        )
    kpis = health_from(session, stock.figures)
    states = kpis.states
    to_reorder = states.get("out", 0) + states.get("reorder_now", 0)
    headlines = [
        Headline("inventory", N_("Positions to reorder now"), f"{to_reorder:,}", "0", to_reorder == 0),
        Headline("inventory", N_("Late purchase orders"), f"{len(late)}", "0", not late),
    ]
    short = {
        "aged_share": N_("Aged > 180 days"),
        "turnover": N_("Turnover / year"),
        "core_stockout_rate": N_("Class A stock-outs"),
        "slow_share": N_("Slow movers"),
    }
    for kpi in kpis.kpis:
        value = "-" if kpi.value is None else (f"{kpi.value:.1f}" if kpi.key == "turnover" else f"{kpi.value:.1%}")
        target = f"{kpi.comparison} {kpi.target:g}" if kpi.key == "turnover" else f"{kpi.comparison} {kpi.target:.0%}"
        headlines.append(Headline("inventory", short.get(kpi.key, kpi.label), value, target, kpi.ok))
    return items, headlines


# --- ads ------------------------------------------------------------------------------------------


def _ads(session: Any, now: datetime) -> tuple[list[Item], list[Headline]]:
    from dtc_tui.services.ads.metrics import fmt_ratio, last_days
    from dtc_tui.services.ads.report import load_report

    result = load_report(session, last_days(7, now), now)
    items = []
    urgency = {"pause": 58.0, "cpa": 45.0, "stock": 52.0, "spend_share": 35.0}
    for alert in result.alerts:
        target = CampaignTarget(alert.campaign_id) if alert.campaign_id else None
        items.append(
            Item(
                "ads",
                f"ads_{alert.kind}",
                urgency.get(alert.kind, 30.0),
                f"{alert.subject}: {alert.kind.replace('_', ' ')}",
                alert.message,
                target,
            )
        )
    if result.fx_warning:  # several currencies, a rate missing: the headline ratios below are "-"
        items.append(Item("ads", "ads_fx", 30.0, "ads: amounts in several currencies", result.fx_warning, None))
    blended = result.blended
    total = result.total.current
    # The account total is in one currency (or converted to the store's at dated fx rates);
    # over several currencies without a rate its money figures are blank and the ratio "-".
    roas = total.revenue / total.spend if total.spend and not result.total.mixed else None
    band = blended.band
    headlines = [
        Headline(
            "ads",
            N_("Platform ROAS 7d"),
            fmt_ratio(roas),
            f">= {result.rules.target_roas:g}",
            None if roas is None else roas >= result.rules.target_roas,
        ),
        Headline(
            "ads",
            N_("Blended ROAS (store rev / spend) 7d"),
            fmt_ratio(blended.blended_roas),
            f">= {result.rules.target_roas:g}",
            None if blended.blended_roas is None else blended.blended_roas >= result.rules.target_roas,
        ),
        Headline(
            "ads",
            N_("Ad spend / store revenue 7d"),
            "-" if blended.spend_share is None else f"{blended.spend_share:.1%}",
            f"{band[0]:.0%}-{band[1]:.0%}",
            None if blended.spend_share is None else blended.spend_share <= band[1],
        ),
        Headline(
            "ads",
            N_("Campaigns to pause"),
            str(sum(1 for a in result.alerts if a.kind == "pause")),
            "0",
            not any(a.kind == "pause" for a in result.alerts),
        ),
    ]
    return items, headlines


# --- team -----------------------------------------------------------------------------------------


def _team(session: Any, now: datetime) -> tuple[list[Item], list[Headline]]:
    from dtc_tui.services.team import checks as team_checks

    checks = team_checks.run(session, now)
    urgency = {
        "no_accountable": 48.0,
        "two_accountable": 40.0,
        "no_responsible": 40.0,
        "escalation_uncovered": 0,
        "unrouted": 0,
    }
    items = []
    for check in checks:
        if check.code in ("escalation_uncovered", "unrouted"):
            continue  # shown as cross-area signals
        level = team_checks.severity(check.code)
        base = urgency.get(check.code, 30.0 if level == "warning" else 20.0)
        target = TeamTarget(check.duty_code, check.person_handle)
        items.append(
            Item("team", f"team_{check.code}", base, check.message, f"{level}: {check.code.replace('_', ' ')}", target)
        )
    unowned = sum(1 for c in checks if c.code == "no_accountable")
    headlines = [
        Headline("team", N_("Duties with no accountable"), str(unowned), "0", unowned == 0),
        Headline("team", N_("Failed team checks"), str(len(checks)), "0", not checks),
    ]
    return items, headlines


def build(engine: Engine, now: datetime) -> Overview:
    with db.read_session(engine) as session:
        per_kind = int(settings.get(session, "overview.items_per_kind"))
    items, headlines, ticket_totals = _tickets(engine, now, per_kind)
    from dtc_tui.services.inventory import snapshot
    from dtc_tui.services.inventory.stock_state import one_board

    # One reorder board for every part, and only when the stock snapshot is not current; facts
    # built here are stored for the next run once this read is over.
    with db.read_session(engine) as session, one_board(session, now) as stock:
        for part in (_inventory, _ads, _team):
            part_items, part_headlines = part(session, now)
            items += part_items
            headlines += part_headlines
        signals = all_signals(session, now)
    snapshot.keep(engine, stock.stock, now)
    items += [
        Item(s.area, f"signal_{s.kind}", s.urgency, s.title, s.explanation, s.target, s.title_msg, s.explanation_msg)
        for s in signals
    ]
    counts: dict[str, int] = {}
    capped = _cap(items, per_kind, counts)
    # Tickets were fetched one page per view: add their "and N more" from the true totals.
    for kind, total in ticket_totals.items():
        shown = [i for i in capped if i.kind == kind]
        counts[kind] = total
        if shown and total > len(shown):
            capped.append(
                _item(
                    "tickets",
                    kind,
                    shown[-1].urgency - 0.001,
                    message(MORE_TITLE, count=total - len(shown)),
                    message(N_("{total} in all: open the ticket queue"), total=total),
                    MoreTarget(kind),
                )
            )
    capped.sort(key=lambda i: -i.urgency)
    return Overview(now, capped, headlines, signals, counts)


# Names of the item kinds for people (JSON carries the kind itself); a team check's kind is its code.
KIND_NAMES = {
    "ticket_breached": N_("ticket breached"),
    "ticket_at_risk": N_("ticket at risk"),
    "sku_reorder": N_("sku reorder"),
    "po_late": N_("po late"),
    "ads_pause": N_("ads pause"),
    "ads_cpa": N_("ads cpa"),
    "ads_stock": N_("ads stock"),
    "ads_spend_share": N_("ads spend share"),
    "ads_fx": N_("ads fx"),
    "team_no_accountable": N_("team no accountable"),
    "team_two_accountable": N_("team two accountable"),
    "team_no_responsible": N_("team no responsible"),
    "team_no_backup": N_("team no backup"),
    "team_delivery_signoff": N_("team delivery signoff"),
    "team_release_tester": N_("team release tester"),
    "team_refund_sync": N_("team refund sync"),
    "team_cs_merged": N_("team cs merged"),
    "team_overloaded": N_("team overloaded"),
    "team_too_many_functions": N_("team too many functions"),
    "team_bad_schedule": N_("team bad schedule"),
}


def describe_kind(kind: str) -> str:
    """The kind as people read it, in the active language (the headline labels are N_ too:
    translated where shown, so that JSON keeps them in English)."""
    if kind.startswith("signal_"):
        label = SIGNAL_KINDS.get(kind.removeprefix("signal_"))
        return _(label) if label else kind
    return _(KIND_NAMES[kind]) if kind in KIND_NAMES else kind.replace("_", " ")
