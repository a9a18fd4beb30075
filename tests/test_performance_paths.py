"""The fast paths added for issue 10 (performance) give the same answers as the slow ones.

No timings here (bench/ measures them): these tests pin behaviour, so a fast path can never
quietly change what the user sees.
"""

from __future__ import annotations

import math
import subprocess
import sys
from contextlib import nullcontext
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from dtc_tui import db
from dtc_tui.models import SlaBreach, Ticket
from dtc_tui.services.tickets import kpis as ticket_kpis
from dtc_tui.services.tickets.queue import SORTS, VIEWS, QueueQuery, TicketQueueSource
from dtc_tui.services.tickets.sla_defaults import ensure_defaults


def test_head_read_from_the_version_files_is_alembics_head() -> None:
    assert db._head_from_files() == db.head_revision()


def test_an_up_to_date_database_opens_without_importing_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'current.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    engine.dispose()
    code = (
        "import sys\n"
        "from dtc_tui import db\n"
        f"result = db.ensure_current(db.make_engine({url!r}))\n"
        "print(result.before == result.after == db._head_from_files(), 'alembic' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "False"]


def test_a_new_database_is_still_migrated_by_alembic(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    result = db.ensure_current(engine)
    assert result.before is None
    assert result.after == db.head_revision() == db.current_revision(engine)


# --- ticket KPIs: counted in SQL, the same as the all-Python reference ----------------------------


PERCENTILES = (".frt_median.", ".frt_p90.")


def _same(new: object, old: object, path: str = "") -> None:
    """Deep equality; floats to 1e-9 relative (SQL sums and divides in another order). First-response
    percentiles come from the roll-ups' histograms: within one bucket of the exact figure."""
    from dtc_tui.models.rollups import frt_bucket_width

    percentile = any(p in path + "." for p in PERCENTILES)
    if percentile and path.endswith(".text"):
        return  # the value is checked beside it; its minutes may round the other way
    if percentile and isinstance(new, float) and isinstance(old, float):
        # each of the two ranks interpolated between is within its bucket (the next may be a wider one)
        assert abs(new - old) <= frt_bucket_width(int(old) + 10), path
    elif isinstance(new, float) and isinstance(old, float):
        assert math.isclose(new, old, rel_tol=1e-9, abs_tol=1e-6), path
    elif isinstance(new, dict) and isinstance(old, dict):
        assert list(new) == list(old), path
        for key in new:
            _same(new[key], old[key], f"{path}.{key}")
    elif isinstance(new, list | tuple) and isinstance(old, list | tuple):
        assert len(new) == len(old), path
        for i, (a, b) in enumerate(zip(new, old, strict=True)):
            _same(a, b, f"{path}[{i}]")
    else:
        assert new == old, f"{path}: {new!r} != {old!r}"


@pytest.mark.parametrize("days", [1, 7, 30])
def test_kpi_report_in_sql_matches_the_python_reference(demo_engine: Engine, now: datetime, days: int) -> None:
    from tests import ticket_kpis_reference as reference

    start = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    with db.read_session(demo_engine) as session:
        new = ticket_kpis.report(session, start=start, end=now, now=now)
        old = reference.report(session, start=start, end=now, now=now)
    assert new.overall.tickets_created > 0 and new.groups["agent"]
    _same(new.as_dict(), old.as_dict())


def test_period_kpis_are_the_reports_overall_figures(demo_engine: Engine, now: datetime) -> None:
    start = now - timedelta(days=7)
    with db.read_session(demo_engine) as session:
        headline = ticket_kpis.period_kpis(session, start=start, end=now)
        full = ticket_kpis.report(session, start=start, end=now, now=now, group_by=())
    _same(asdict(headline), asdict(full.overall))


def _ticket(
    session: Session,
    number: int,
    created: datetime,
    *,
    first: float | None = None,
    solved: float | None = None,
    replies: int = 1,
    csat: int | None = None,
    channel: str = "email",
    is_open: bool = False,
) -> Ticket:
    """A ticket created at ``created``, first reply and solve ``first`` / ``solved`` minutes later."""
    first_at = created + timedelta(minutes=first) if first is not None else None
    solved_at = created + timedelta(minutes=solved) if solved is not None else None
    ticket = Ticket(
        id=number,
        subject=f"t{number}",
        channel=channel,
        created_at=created,
        updated_at=created,
        first_response_at=first_at,
        solved_at=solved_at,
        agent_replies=replies if first_at else 0,
        csat=csat,
        is_open=is_open,
        status="open" if is_open else "solved",
        due_sort_at=created,
    )
    session.add(ticket)
    return ticket


def test_kpis_by_hand(engine: Engine, now: datetime) -> None:
    """Four tickets in the last day, one in the day before; figures worked out by hand."""
    start = now - timedelta(days=1)
    with db.write_session(engine) as session:
        ensure_defaults(session)
        _ticket(session, 1, start + timedelta(hours=1), first=245, solved=300, csat=5)  # whole minutes
        _ticket(session, 2, start + timedelta(hours=2), first=60, solved=600, replies=3, csat=3)
        _ticket(session, 3, start + timedelta(hours=3), first=30, is_open=True)
        _ticket(session, 4, start + timedelta(hours=4), is_open=True)  # not answered, first response breached
        _ticket(session, 5, start - timedelta(hours=5), first=10, solved=20, channel="chat")  # previous day only
        session.flush()
        session.add(
            SlaBreach(ticket_id=4, metric="first_response", due_at=start + timedelta(hours=16), recorded_at=now)
        )
        session.add(SlaBreach(ticket_id=2, metric="resolution", due_at=start + timedelta(hours=8), recorded_at=now))
    with db.read_session(engine) as session:
        result = ticket_kpis.report(session, start=start, end=now, now=now)
    kpi = {k.key: k for k in result.overall.kpis}
    assert (result.overall.tickets_created, result.overall.tickets_solved) == (4, 2)
    assert kpi["frt_median"].value == pytest.approx(60) and kpi["frt_median"].text() == "1h00m"  # 30, 60, 245
    assert kpi["frt_p90"].value == pytest.approx(60 + (245 - 60) * 0.8) and kpi["frt_p90"].text() == "3h28m"
    assert kpi["fr_sla"].value == pytest.approx(3 / 4)  # 3 answered + 1 breached unanswered; 1 breach
    assert kpi["res_sla"].value == pytest.approx(1 / 2)
    assert kpi["resolution_rate"].value == pytest.approx(2 / 4)
    assert kpi["fsr"].value == pytest.approx(1 / 2)
    assert kpi["csat"].value == pytest.approx(4.0) and kpi["csat_satisfied"].value == pytest.approx(1 / 2)
    assert kpi["breach_rate"].value == pytest.approx(2 / 4)
    assert kpi["nr_sla"].value == pytest.approx(1.0)  # two reply cycles (ticket 2), no next-response breach
    assert sorted(result.groups["channel"]) == ["chat", "email"]  # chat had tickets only the day before
    assert result.groups["channel"]["chat"].tickets_created == 0
    assert result.groups["agent"]["unassigned"].tickets_created == 4
    assert result.previous.tickets_created == 1 and result.previous.get("frt_median").text() == "10m"
    assert result.backlog_open == 2
    assert result.backlog_median_age_hours == pytest.approx((now - start).total_seconds() / 3600 - 3.5)
    assert result.backlog_oldest_age_hours == pytest.approx((now - start).total_seconds() / 3600 - 3)
    with db.read_session(engine) as session:
        short = ticket_kpis.period_kpis(session, start=start, end=now)
    assert short.get("frt_median").text() == "1h00m" and short.tickets_created == 4


# --- ticket queue: keyset and reverse paging return what OFFSET paging returns --------------------


@pytest.mark.parametrize("sort", list(SORTS))
def test_queue_pages_from_anywhere_match_offset_paging(demo_engine: Engine, now: datetime, sort: str) -> None:
    for view in VIEWS:
        query = QueueQuery(view=view, sort=sort, now=now, today_start=now.replace(hour=0, minute=0), me=1)
        whole = TicketQueueSource(demo_engine, query)
        expected = [row.id for row in whole.fetch(0, whole.count())]
        source = TicketQueueSource(demo_engine, query)
        total = source.count()
        assert total == len(expected)
        page = 37
        # The table's moves: the end (G), pages up from there, the top, pages down, a jump to the middle.
        offsets = [
            max(total - page, 0),
            max(total - 2 * page, 0),
            max(total - 3 * page, 0),
            0,
            page,
            2 * page,
            total // 2,
            total // 2 + page,
            max(total // 2 - page, 0),
            max(total - 1, 0),
        ]
        for offset in offsets:
            got = [row.id for row in source.fetch(offset, page)]
            assert got == expected[offset : offset + page], (view, sort, offset)


def test_queue_forgets_known_rows_when_recounted(engine: Engine, now: datetime) -> None:
    """After a change the table calls count() again: pages must come from the new data, not old keys."""
    with db.write_session(engine) as session:
        ensure_defaults(session)
        for number in range(1, 101):
            _ticket(session, number, now - timedelta(minutes=number), is_open=True)
    source = TicketQueueSource(engine, QueueQuery(view="all_open", sort="id", now=now))
    assert source.count() == 100
    assert [r.id for r in source.fetch(90, 10)] == list(range(91, 101))
    assert [r.id for r in source.fetch(50, 10)] == list(range(51, 61))
    with db.write_session(engine) as session:
        session.execute(Ticket.__table__.delete().where(Ticket.__table__.c.id <= 20))  # type: ignore[attr-defined]
    assert source.count() == 80
    assert [r.id for r in source.fetch(50, 10)] == list(range(71, 81))
    assert [r.id for r in source.fetch(75, 10)] == list(range(96, 101))


# --- start-up: the collector is paused while dtc-tui starts, and always turned back on ------------


@pytest.fixture
def fresh_startup(monkeypatch: pytest.MonkeyPatch):
    import gc

    from dtc_tui import startup

    monkeypatch.setattr(startup, "_paused", False)
    monkeypatch.setattr(startup, "_hold_for_app", False)
    yield startup
    gc.unfreeze()
    gc.enable()


def test_headless_start_resumes_the_collector_when_the_database_is_ready(fresh_startup) -> None:
    import gc

    fresh_startup.pause_gc()
    assert not gc.isenabled()
    fresh_startup.database_ready()
    assert gc.isenabled() and gc.get_freeze_count() > 0


def test_app_start_keeps_the_collector_off_until_the_first_screen(fresh_startup) -> None:
    import gc

    fresh_startup.pause_gc()
    fresh_startup.hold_until_app_ready()
    fresh_startup.database_ready()
    assert not gc.isenabled()
    fresh_startup.app_ready()
    assert gc.isenabled()


def test_library_use_never_touches_the_collector(fresh_startup) -> None:
    import gc

    fresh_startup.database_ready()
    fresh_startup.app_ready()
    assert gc.isenabled() and gc.get_freeze_count() == 0


# --- settings: read once per session, and a change in the session is seen at once -----------------


def test_settings_are_read_once_per_session_and_follow_changes(engine: Engine, now: datetime) -> None:
    from sqlalchemy import event

    from dtc_tui.services.common import settings

    with db.write_session(engine) as session:
        ensure_defaults(session)
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        with db.write_session(engine) as session:
            first = settings.get(session, "overview.items_per_kind")
            assert [settings.get(session, "overview.items_per_kind") for _ in range(5)] == [first] * 5
            settings.get(session, "sla.at_risk_fraction")
            assert sum("FROM setting" in s for s in statements) == 1
            settings.put(session, "overview.items_per_kind", first + 4, actor="ana", now=now)
            assert settings.get(session, "overview.items_per_kind") == first + 4
            settings.reset(session, "overview.items_per_kind", actor="ana", now=now)
            session.flush()
            assert settings.get(session, "overview.items_per_kind") == first
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    with db.read_session(engine) as session:
        assert settings.get(session, "overview.items_per_kind") == first


# --- the overview's parts share one reorder board ---------------------------------------------------


def test_stock_states_from_the_shared_board_are_the_narrow_boards(demo_engine: Engine, now: datetime) -> None:
    from sqlalchemy import select

    from dtc_tui.models import Sku
    from dtc_tui.services.inventory.stock_state import one_board, sku_stock_states

    with db.read_session(demo_engine) as session:
        ids = [sku_id for (sku_id,) in session.execute(select(Sku.id).order_by(Sku.id))]
        picks = [ids[0], ids[len(ids) // 2], ids[-1], *ids[5:12]]
        narrow = sku_stock_states(session, picks, now)
        with one_board(session, now):
            shared = sku_stock_states(session, picks, now)
            assert sku_stock_states(session, picks[:2], now) == {k: narrow[k] for k in picks[:2] if k in narrow}
    assert narrow and shared == narrow


def test_the_overview_builds_one_board_and_says_the_same(
    demo_engine: Engine, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from types import SimpleNamespace

    from dtc_tui.services.inventory import board as inventory_board
    from dtc_tui.services.inventory import snapshot
    from dtc_tui.services.inventory import stock_state as inventory
    from dtc_tui.services.overview import summary as overview

    built = []
    original = inventory_board.build_board

    def counting(*args, **kwargs):
        built.append(kwargs.get("sku_ids"))
        return original(*args, **kwargs)

    monkeypatch.setattr(inventory, "build_board", counting)
    with db.write_connection(demo_engine) as connection:
        snapshot.drop(connection)
    with_sharing = overview.build(demo_engine, now)
    assert built == [None]  # one board for every part
    built.clear()
    again = overview.build(demo_engine, now)
    assert built == []  # the stock snapshot the first build stored (test_stock_snapshot.py)
    # As before: a board per part.
    monkeypatch.setattr(inventory, "one_board", lambda session, now: nullcontext(SimpleNamespace(stock=None)))
    without = overview.build(demo_engine, now)
    assert len(built) > 1 and any(built)
    assert with_sharing.as_dict() == again.as_dict() == without.as_dict()
