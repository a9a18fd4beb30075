"""Domain defaults (from shared/domain.md), overridable per database in the ``setting`` table.

Every threshold a rule uses is read through ``get``; no rule hard-codes its number.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from dtc_tui.i18n import _

if TYPE_CHECKING:
    from sqlmodel import Session

    from dtc_tui.models import Setting

DEFAULTS: dict[str, Any] = {
    # Tickets and SLA (domain.md section 2)
    "sla.at_risk_fraction": 0.25,
    "sla.first_response_hours": 12,
    "sla.presales_first_response_hours": 2,
    "sla.ceiling_hours": 24,
    "kpi.resolution_rate_target": 0.85,
    "kpi.fsr_target": 0.75,
    "kpi.csat_target": 4.2,
    "kpi.csat_satisfied_target": 0.85,
    "kpi.breach_rate_target": 0.05,
    "kpi.speed_gain_warning": 0.20,
    "kpi.csat_drop_warning": 0.15,
    "cs.compensation_limit": 200.0,
    # Inventory (section 3)
    "inventory.velocity_window_days": 28,
    "inventory.buffer_days": 7,
    "inventory.aged_days": 180,
    "inventory.aged_share_target": 0.05,
    "inventory.turnover_target": 6.0,
    "inventory.core_stockout_target": 0.03,
    "inventory.slow_share_target": 0.10,
    "inventory.storage_cost_monthly": 0.18,
    "inventory.abc_a_share": 0.80,
    "inventory.abc_b_share": 0.15,
    "inventory.class_a_days": 30,
    "inventory.overstock_days": 120,
    "inventory.abc_window_days": 90,  # revenue window for the ABC ranking
    "inventory.class_d_margin": 0.40,  # tail (C-volume) SKUs with a gross margin below this are class D
    "inventory.reorder_soon_days": 14,  # "reorder soon" when stock reaches the reorder point within this
    "inventory.dead_days": 90,  # in stock without a sale for this long: dead stock
    "inventory.slow_cover_days": 90,  # in stock with more cover than this: a slow mover
    "inventory.stat_z": 1.65,  # statistical safety stock: z for a ~95% service level
    "inventory.stat_classes": [],  # classes that use the statistical method, e.g. ["A"]; else per SKU
    "inventory.default_lead_time_days": 21,  # for SKUs without a supplier
    "inventory.transfer_days": 7,  # expected transit time of a transfer between warehouses
    # Ads (section 4)
    "ads.target_roas": 2.5,
    "ads.pause_roas": 2.0,
    "ads.pause_days": 7,
    "ads.cpa_tolerance": 0.20,
    "ads.contribution_margin": 0.40,
    "ads.budget_share_new": [0.25, 0.30],
    "ads.budget_share_steady": [0.10, 0.15],
    "ads.store_stage": "steady",  # new | steady: which spend-share band the store is judged by
    "ads.cpc_warning": 1.5,  # Facebook CPC averages $0.8-$1.5: above this the CPC shows in yellow
    "ads.budget_move_fraction": 0.5,  # share of a below-break-even campaign's daily budget to move
    "ads.budget_move_max_increase": 0.5,  # a campaign above target grows by at most this share
    "ads.budget_move_step": 5.0,  # suggested amounts are rounded down to this many dollars
    # Orders (issue 14): the store's till and units sold come from them
    "orders.revenue_basis": "net",  # net (totals less refunds) | gross: the store revenue blended ROAS reads
    "orders.store_currency": "",  # the till's currency; empty = the currency most orders are in
    "orders.default_warehouse": "",  # code of the warehouse orders without a location ship from; empty = first
    "orders.refund_wait_days": 5,  # a refund promised in a solved ticket should show on the order within this
    "orders.promise_days": 5,  # delivery promise for orders whose SKUs carry none
    "orders.late_coupon_share": 0.10,  # suggested coupon for a late order, as a share of its total
    # Cross-area signals and the overview (section 6)
    "signals.ticket_rise_days": 3,
    "signals.ticket_rise_baseline_days": 14,
    "signals.ticket_rise_factor": 2.5,
    "signals.ticket_rise_min": 8,
    "signals.promise_horizon_days": 7,
    "signals.refund_lookback_days": 30,
    "overview.items_per_kind": 8,
    # Who an acknowledged or snoozed overview item is hidden for: "operator" (only the one who did it)
    # or "team" (everyone); it comes back for them when its numbers change or the snooze ends.
    "overview.ack_scope": "operator",
    # Team (section 5)
    "team.max_accountable": 6,
    "team.max_functions": 3,
    # Ticket categories that escalate at once (domain.md section 2): someone must be on duty for them.
    "team.escalation_categories": ["site_incident", "payment"],
}


class UnknownSetting(KeyError):
    pass


# The list settings that are a (low, high) pair; the other lists have any number of text values.
RANGES = frozenset({"ads.budget_share_new", "ads.budget_share_steady"})


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


_CACHE = "dtc_tui.settings"  # session.info key: the stored overrides, read once per session


def forget(session: Session) -> None:
    """Drop this session's cached overrides (after rows were written behind its back)."""
    session.info.pop(_CACHE, None)


def get(session: Session | Connection, key: str) -> Any:
    """The setting's value; ``session`` may be a Core connection (the cron paths, without the ORM)."""
    if key not in DEFAULTS:
        raise UnknownSetting(key)
    stored: dict[str, str] | None
    if isinstance(session, Connection):  # its .info outlives the transaction (it is the DBAPI connection's)
        stored = _stored(session)
    else:
        # One query per session for all overrides, not one per call: most keys have none, and a
        # missing row is not kept in the identity map (the overview asked the database 117 times).
        stored = session.info.get(_CACHE)
        if stored is None:
            stored = session.info[_CACHE] = _stored(session)
    value = stored.get(key)
    return json.loads(value) if value is not None else DEFAULTS[key]


def _stored(session: Session | Connection) -> dict[str, str]:
    """The overrides as stored (JSON text). Read as plain rows, so a command that only reads settings
    does not load the ORM's system tables (~0.04 s of a headless command, e.g. the reorder board);
    through the ORM when this session has changes to flush first (a setting just put, say)."""
    if not isinstance(session, Connection) and (session.new or session.dirty or session.deleted):
        return {row.key: row.value for row in session.exec(_select_settings())}
    return {key: value for key, value in session.execute(text("SELECT key, value FROM setting"))}


def _setting() -> type[Setting]:
    from dtc_tui.models import Setting

    return Setting


def _select_settings() -> Any:
    from sqlmodel import select  # here: reading a setting on a Core connection needs no ORM

    return select(_setting())


def all_settings(session: Session) -> dict[str, tuple[Any, str]]:
    """Every setting with its value and where it came from ("default" or "database")."""
    stored = {row.key: json.loads(row.value) for row in session.exec(_select_settings())}
    return {
        key: (stored.get(key, default), "database" if key in stored else "default") for key, default in DEFAULTS.items()
    }


def put(session: Session, key: str, value: Any, *, actor: str, now: datetime) -> None:
    from dtc_tui.services.common.audit import record

    if key not in DEFAULTS:
        raise UnknownSetting(key)
    default = DEFAULTS[key]
    if isinstance(default, bool) != isinstance(value, bool):
        raise ValueError(_("setting {key} takes true or false, not {value!r}").format(key=key, value=value))
    if isinstance(default, int | float) and not isinstance(value, int | float):
        raise ValueError(_("setting {key} takes a number, not {value!r}").format(key=key, value=value))
    if isinstance(default, str) and not isinstance(value, str):
        raise ValueError(_("setting {key} takes text, not {value!r}").format(key=key, value=value))
    if key in RANGES and (
        not isinstance(value, list) or len(value) != 2 or not all(isinstance(v, int | float) for v in value)
    ):
        raise ValueError(
            _("setting {key} takes a list of {count} like {example}").format(
                key=key, count=len(default), example=json.dumps(default)
            )
        )
    if isinstance(default, list) and key not in RANGES and not _strings(value):
        # A list of any length (``inventory.stat_classes`` is empty by default, e.g. ["A"] to set).
        raise ValueError(_("setting {key} takes a list of text like {example}").format(key=key, example='["A"]'))
    setting = _setting()
    row = session.get(setting, key)
    before = json.loads(row.value) if row else DEFAULTS[key]
    if row is None:
        row = setting(key=key, value=json.dumps(value))
    row.value = json.dumps(value)
    row.updated_at = now
    row.updated_by = actor
    session.add(row)
    session.info.pop(_CACHE, None)
    record(
        session,
        actor=actor,
        now=now,
        entity="setting",
        entity_id=key,
        action="update",
        before={"value": before},
        after={"value": value},
    )
    _reapply_sla(session, key, now)


def _reapply_sla(session: Session, key: str, now: datetime) -> None:
    """An SLA setting changes every open ticket's stored summary: re-applied in this transaction."""
    if key.startswith("sla."):
        from dtc_tui.services.tickets.sla_admin import reapply

        reapply(session, now)


def reset(session: Session, key: str, *, actor: str, now: datetime) -> Any:
    """Drop the override: the default applies again. Returns the default."""
    from dtc_tui.services.common.audit import record

    if key not in DEFAULTS:
        raise UnknownSetting(key)
    row = session.get(_setting(), key)
    if row is not None:
        record(
            session,
            actor=actor,
            now=now,
            entity="setting",
            entity_id=key,
            action="reset",
            before={"value": json.loads(row.value)},
            after={"value": DEFAULTS[key]},
        )
        session.delete(row)
        session.info.pop(_CACHE, None)
        session.flush()
        _reapply_sla(session, key, now)
    return DEFAULTS[key]
