"""Daily roll-ups (models/rollups.py): kept by triggers on every write path, equal to the rows."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import datetime, timedelta

from click.testing import CliRunner
from sqlalchemy import Engine, delete, func, select, text, update

from dtc_tui import db
from dtc_tui.models import Person, SlaBreach, Ticket
from dtc_tui.models import rollups as model
from dtc_tui.services.tickets import kpis, ops, rollups
from dtc_tui.services.tickets.sla_breaches import record_due_breaches


def _bucket(minutes: float) -> int:
    m = max(minutes, 0.0)
    return int(m) if m < 600 else int(m / 10) * 10 if m < 2880 else int(m / 60) * 60


def reference(engine: Engine) -> dict[str, dict[tuple, tuple]]:
    """The roll-ups worked out in Python from every ticket and breach row."""
    with db.read_session(engine) as session:
        tickets = session.execute(select(Ticket)).scalars().all()
        breaches = session.execute(select(SlaBreach.ticket_id, SlaBreach.metric, SlaBreach.due_at)).all()
    flags: dict[int, set[str]] = defaultdict(set)
    per_day: dict[tuple, int] = defaultdict(int)
    for ticket_id, metric, due in breaches:
        flags[ticket_id].add(metric)
        per_day[(due.date(), metric)] += 1
    day: dict[tuple, list[float]] = defaultdict(lambda: [0.0] * (len(model.COUNT_FIELDS) + 1))
    frt: dict[tuple, int] = defaultdict(int)
    sku: dict[tuple, int] = defaultdict(int)
    created_index = {name: i for i, name in enumerate(model.CREATED_FIELDS)}
    solved_index = {name: i + len(model.CREATED_FIELDS) for i, name in enumerate(model.SOLVED_FIELDS)}
    for t in tickets:
        f = flags.get(t.id or 0, set())
        key = (t.channel, t.category, t.assignee_id or 0)
        cell = day[(t.created_at.date(), *key)]
        values = {
            "created": 1,
            "answered": t.first_response_at is not None,
            "cycles": max(t.agent_replies - 1, 0),
            "resolved": t.solved_at is not None,
            "fr_breached": "first_response" in f,
            "fr_breached_unanswered": "first_response" in f and t.first_response_at is None,
            "nr_breached": "next_response" in f,
            "breached": bool(f),
        }
        for name, value in values.items():
            cell[created_index[name]] += int(value)
        if t.first_response_at is not None:
            minutes = (t.first_response_at - t.created_at).total_seconds() / 60
            cell[-1] += minutes
            frt[(t.created_at.date(), *key, _bucket(minutes))] += 1
        if t.solved_at is not None:
            cell = day[(t.solved_at.date(), *key)]
            solved = {
                "solved": 1,
                "solved_one_reply": t.agent_replies <= 1,
                "rated": t.csat is not None,
                "csat_sum": t.csat or 0,
                "satisfied": (t.csat or 0) >= 4,
                "res_breached": "resolution" in f,
            }
            for name, value in solved.items():
                cell[solved_index[name]] += int(value)
        if t.sku_id is not None:
            sku[(t.created_at.date(), t.sku_id)] += 1
    return {
        "ticket_day": {k: tuple(v) for k, v in day.items() if any(v)},
        "ticket_day_frt": {k: (n,) for k, n in frt.items() if n},
        "ticket_sku_day": {k: (n,) for k, n in sku.items() if n},
        "sla_breach_day": {k: (n,) for k, n in per_day.items() if n},
    }


def stored(engine: Engine) -> dict[str, dict[tuple, tuple]]:
    """What the roll-up tables hold (rows whose figures are all zero left out: an update leaves them)."""
    keys = {
        "ticket_day": ("day", "channel", "category", "agent_id"),
        "ticket_day_frt": ("day", "channel", "category", "agent_id", "bucket"),
        "ticket_sku_day": ("day", "sku_id"),
        "sla_breach_day": ("day", "metric"),
    }
    values = {
        "ticket_day": (*model.COUNT_FIELDS, "frt_minutes"),
        "ticket_day_frt": ("n",),
        "ticket_sku_day": ("n",),
        "sla_breach_day": ("n",),
    }
    result: dict[str, dict[tuple, tuple]] = {}
    with db.read_session(engine) as session:
        for table in model.ROLLUP_TABLES:
            table_obj = model.SQLModel.metadata.tables[table]
            rows = session.execute(select(*[table_obj.c[c] for c in keys[table] + values[table]])).all()
            result[table] = {
                tuple(row[: len(keys[table])]): tuple(row[len(keys[table]) :])
                for row in rows
                if any(row[len(keys[table]) :])
            }
    return result


def assert_equal(got: dict[str, dict[tuple, tuple]], want: dict[str, dict[tuple, tuple]]) -> None:
    for table in model.ROLLUP_TABLES:
        assert set(got[table]) == set(want[table]), table
        for key, values in want[table].items():
            for a, b in zip(got[table][key], values, strict=True):
                assert math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6), (table, key)


def _random_writes(engine: Engine, now: datetime, rng: random.Random, rounds: int) -> None:
    with db.read_session(engine) as session:
        ids = list(session.execute(select(Ticket.id).order_by(Ticket.id)).scalars())
        people = list(session.execute(select(Person.id)).scalars())
    for i in range(rounds):
        ticket_id = rng.choice(ids)
        choice = rng.randrange(9)
        at = now + timedelta(minutes=i)
        try:
            if choice == 0:
                ops.add_reply(engine, ticket_id, "thanks", "alice", at)
            elif choice == 1:
                ops.set_status(engine, ticket_id, rng.choice(["solved", "open", "pending"]), "alice", at)
            elif choice == 2:
                ops.assign(engine, ticket_id, rng.choice([*people, None]), "alice", at)
            elif choice == 3:
                ops.create_ticket(engine, subject="new", channel="chat", now=at, actor="bob", category="payment")
            elif choice == 4:  # a raw-SQL path (as the importers write): category, CSAT and channel at once
                with db.write_session(engine) as session:
                    session.execute(
                        update(Ticket)
                        .where(Ticket.id == ticket_id)
                        .values(category=rng.choice(["returns", "logistics"]), csat=rng.choice([None, 2, 5]))
                    )
            elif choice == 5:
                with db.write_session(engine) as session:
                    session.add(
                        SlaBreach(
                            ticket_id=ticket_id,
                            metric=rng.choice(model_metrics()),
                            due_at=at - timedelta(hours=rng.randrange(1, 200)),
                            recorded_at=at,
                        )
                    )
            elif choice == 6:
                with db.write_session(engine) as session:
                    session.execute(delete(SlaBreach).where(SlaBreach.ticket_id == ticket_id))
            elif choice == 7:
                with db.write_session(engine) as session:
                    record_due_breaches(session, at + timedelta(hours=rng.randrange(1, 48)))
            else:  # a ticket moved to another day (an import correcting its time), then one deleted
                with db.write_session(engine) as session:
                    ticket = session.get(Ticket, ticket_id)
                    assert ticket is not None
                    ticket.created_at = ticket.created_at - timedelta(days=rng.randrange(1, 5))
                    if rng.random() < 0.2:
                        session.execute(delete(SlaBreach).where(SlaBreach.ticket_id == ticket_id))
                        session.execute(text("DELETE FROM ticket_message WHERE ticket_id = :i"), {"i": ticket_id})
                        session.execute(text("DELETE FROM ticket_event WHERE ticket_id = :i"), {"i": ticket_id})
                        session.delete(ticket)
                        ids.remove(ticket_id)
        except Exception as exc:  # a write the rules refuse (a status change not allowed) changes nothing
            from dtc_tui.errors import UserError

            if not isinstance(exc, UserError):
                raise


def model_metrics() -> list[str]:
    from dtc_tui.models.tickets import METRICS

    return list(METRICS)


def test_rollups_equal_the_rows_after_random_writes(demo_engine: Engine, now: datetime) -> None:
    assert_equal(stored(demo_engine), reference(demo_engine))  # the demo's own writes (and the migration's fill)
    _random_writes(demo_engine, now, random.Random(20), 120)
    assert_equal(stored(demo_engine), reference(demo_engine))
    with db.write_session(demo_engine) as session:
        rollups.rebuild(session)
    assert_equal(stored(demo_engine), reference(demo_engine))


def test_rebuild_command_refills_emptied_rollups(demo_engine: Engine, now: datetime) -> None:
    from dtc_tui.cli import main_group as cli

    want = reference(demo_engine)
    with db.write_session(demo_engine) as session:
        for table in model.ROLLUP_TABLES:
            session.execute(text(f"DELETE FROM {table}"))
    url = demo_engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(cli, ["--db", url, "db", "rebuild-rollups"])
    assert result.exit_code == 0, result.output
    assert "ticket_day" in result.output
    assert_equal(stored(demo_engine), want)


def test_kpis_from_rollups_equal_kpis_from_rows(demo_engine: Engine, now: datetime) -> None:
    """Whole days read from the roll-ups give the rows' counts (a period starting mid-day: both parts)."""
    with db.read_session(demo_engine) as session:
        for start in (now - timedelta(days=7), (now - timedelta(days=6)).replace(hour=0, minute=0)):
            mixed = kpis._cells(session, start, now, kpis.DIMENSIONS)
            rows = kpis._row_cells(session, start, now, kpis.DIMENSIONS)
            assert {k: v for k, v in mixed.items() if any(vars(v).values())} == {
                k: v for k, v in rows.items() if any(vars(v).values())
            }


def test_split_reads_whole_days_and_partial_edges() -> None:
    from dtc_tui.clock import UTC

    start = datetime(2026, 11, 1, 15, 30, tzinfo=UTC)
    end = datetime(2026, 11, 8, 9, 0, tzinfo=UTC)
    span = rollups.split(start, end)
    assert (span.first_day.isoformat(), span.end_day.isoformat()) == ("2026-11-02", "2026-11-08")  # type: ignore[union-attr]
    assert span.partial == ((start, datetime(2026, 11, 2, tzinfo=UTC)), (datetime(2026, 11, 8, tzinfo=UTC), end))
    same_day = rollups.split(start, start + timedelta(hours=2))
    assert not same_day.has_days and same_day.partial == ((start, start + timedelta(hours=2)),)
    midnight = datetime(2026, 11, 1, tzinfo=UTC)
    assert rollups.split(midnight, midnight + timedelta(days=2)).partial == ()


def test_today_is_read_from_the_rollups_when_nothing_lies_after_now(engine: Engine, now: datetime) -> None:
    """A period ending now reads today from the roll-ups, unless a ticket or breach of today lies after
    ``end`` (then today's rows up to ``end``): both give the rows' answer."""
    start = (now - timedelta(days=3)).replace(hour=0, minute=0, second=0, microsecond=0)
    for hours in (1, 2, 3):
        ops.create_ticket(
            engine, subject="t", channel="chat", now=now, actor="a", created_at=now - timedelta(hours=hours)
        )
    with db.read_session(engine) as session:
        plan = rollups.plan(session, start, now)
        assert plan.partial == () and plan.end_day == (now + timedelta(days=1)).date()
        assert kpis._cells(session, start, now, ()) == kpis._row_cells(session, start, now, ())
    later = now + timedelta(minutes=5)
    if later.date() == now.date():
        ops.create_ticket(engine, subject="later", channel="chat", now=later, actor="a", created_at=later)
        with db.read_session(engine) as session:
            plan = rollups.plan(session, start, now)  # one row after now, three before: the day less that one
            assert plan.partial == () and plan.minus == ((now, start + timedelta(days=4)),)
            got = kpis._rollup(kpis._cells(session, start, now, ()), None)[""]
            assert got.created == 3 == kpis._rollup(kpis._row_cells(session, start, now, ()), None)[""].created
        for minutes in (6, 7, 8):  # more after now than before: today's rows up to now
            at = now + timedelta(minutes=minutes)
            if at.date() == now.date():
                ops.create_ticket(engine, subject="later", channel="chat", now=at, actor="a", created_at=at)
        if (now + timedelta(minutes=8)).date() == now.date():
            with db.read_session(engine) as session:
                plan = rollups.plan(session, start, now)
                assert plan.minus == () and plan.partial[-1] == (start + timedelta(days=3), now)
                assert kpis._cells(session, start, now, ()) == kpis._row_cells(session, start, now, ())


def test_a_group_with_rows_only_after_the_end_is_not_listed(engine: Engine, now: datetime) -> None:
    """Today read as its roll-up less the rows after now: a channel whose only tickets of the
    period's days lie after now is no group of the report, as the rows alone give."""
    later = now + timedelta(minutes=5)
    if later.date() != now.date():
        return
    for hours in (1, 2):
        ops.create_ticket(
            engine, subject="t", channel="chat", now=now, actor="a", created_at=now - timedelta(hours=hours)
        )
    ops.create_ticket(engine, subject="later", channel="email", now=later, actor="a", created_at=later)
    start = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=6)
    with db.read_session(engine) as session:
        assert rollups.plan(session, start, now).minus  # the subtraction is what is read
        report = kpis.report(session, start=start, end=now, now=now, group_by=("channel",))
    assert set(report.groups["channel"]) == {"chat"}
    assert report.overall.tickets_created == 2


def _rows_reference(session, start: datetime, end: datetime) -> tuple[dict, dict, dict, list]:
    """What a period's figures are from the ticket and breach rows alone."""
    frt = {
        pct: rollups.percentile(rollups.row_histograms(session, start, end, None, None, False).get("", {}), pct)
        for pct in (0.5, 0.9)
    }
    skus: dict[int, int] = defaultdict(int)
    for sku, n in session.execute(
        select(Ticket.sku_id, func.count())
        .where(Ticket.created_at >= start, Ticket.created_at < end, Ticket.sku_id.is_not(None))  # type: ignore[union-attr]
        .group_by(Ticket.sku_id)
    ):
        skus[sku] += n
    breaches: dict = defaultdict(int)
    for (due,) in session.execute(select(SlaBreach.due_at).where(SlaBreach.due_at >= start, SlaBreach.due_at < end)):
        breaches[due.date()] += 1
    cells = {k: v for k, v in kpis._row_cells(session, start, end, kpis.DIMENSIONS).items() if any(vars(v).values())}
    return cells, frt, dict(skus), sorted((d, n) for d, n in breaches.items() if n)


def test_edge_days_from_the_rollups_less_the_rows_outside_give_the_rows_answer(
    demo_engine: Engine, now: datetime
) -> None:
    """A period's partial edge days read as the day's roll-up less the rows outside the period (when
    those are fewer) give what the rows alone give: counts, first-response percentiles, tickets per
    SKU, breaches per day; with tickets solved ahead of the clock too (as imported data may hold)."""
    from dtc_tui.services.overview.signals import window_counts

    with db.write_session(demo_engine) as session:  # a few tickets solved "later today"
        ids = list(session.execute(select(Ticket.id).where(Ticket.is_open.is_(True)).limit(3)).scalars())  # type: ignore[attr-defined]
        session.execute(update(Ticket).where(Ticket.id.in_(ids)).values(solved_at=now + timedelta(minutes=5)))  # type: ignore[union-attr]
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    windows = [
        (midnight - timedelta(days=6), now),  # the KPI headline's 7d
        (now - timedelta(days=3), now),  # the ticket-rise windows: both edges partial
        (now - timedelta(days=17), now - timedelta(days=3)),
        (now - timedelta(hours=5), now),
    ]
    with db.read_session(demo_engine) as session:
        used_minus = False
        for start, end in windows:
            used_minus = used_minus or bool(rollups.plan(session, start, end).minus)
            cells, frt, skus, breaches = _rows_reference(session, start, end)
            mixed = {
                k: v for k, v in kpis._cells(session, start, end, kpis.DIMENSIONS).items() if any(vars(v).values())
            }
            assert mixed == cells, (start, end)
            got = kpis._frt_percentiles(session, start, end, None).get("", {})
            for pct, want in frt.items():
                assert (want is None and pct not in got) or math.isclose(got[pct], want or 0, abs_tol=1e-6), (
                    start,
                    pct,
                )
            assert window_counts(session, start, end) == skus
            span = rollups.plan(session, start, end)  # planned once, used for two counts (ticket_rise)
            assert window_counts(session, start, end, span=span) == skus
            assert window_counts(session, start, end, "logistics", span) == window_counts(
                session, start, end, "logistics"
            )
            listed = kpis._breaches_per_day(session, start, end)  # a bar per day from start's to end's
            assert [d for d, _n in listed] == [start.date() + timedelta(days=i) for i in range(len(listed))]
            assert listed[-1][0] == (end - timedelta(microseconds=1)).date(), (start, end)  # today has its bar
            assert dict(listed) == {d: dict(breaches).get(d, 0) for d, _n in listed}, (start, end)
            assert sum(n for _d, n in listed) == sum(dict(breaches).values()), (start, end)  # no day left out
        assert used_minus  # the subtraction was exercised


def test_percentile_of_a_histogram_is_within_a_bucket() -> None:
    values = [0.5, 3.2, 3.7, 59.9, 61.0, 700.0, 705.0, 3000.0]
    histogram: dict[int, int] = defaultdict(int)
    for v in values:
        histogram[_bucket(v)] += 1
    for pct, exact in ((0.5, (59.9 + 61.0) / 2), (0.0, 0.5), (1.0, 3000.0)):
        got = rollups.percentile(dict(histogram), pct)
        assert got is not None and abs(got - exact) <= model.frt_bucket_width(int(exact) + 10)
    assert rollups.percentile({}, 0.5) is None


def test_histogram_buckets_at_their_edges_on_every_fill_path(engine: Engine, now: datetime) -> None:
    """First responses at each bucket's edge (and one before the ticket: bucket 0) land in the same
    bucket whether the triggers, the rebuild or a bulk apply's set-based share (the subquery that
    computes each ticket's minutes once) fills ``ticket_day_frt``."""
    created = now - timedelta(days=4)
    offsets = (0.0, 0.25, 599.5, 600.0, 600.01, 2879.99, 2880.0, 5000.5)
    ids = []
    for minutes in offsets:
        ticket_id = ops.create_ticket(engine, subject=f"m{minutes}", channel="email", now=created, actor="t")
        ops.add_reply(engine, ticket_id, "on it", "agent", created + timedelta(minutes=minutes))
        ids.append(ticket_id)
    with db.write_session(engine) as session:  # bad data: answered before it was created
        session.execute(
            update(Ticket).where(Ticket.id == ids[0]).values(first_response_at=created - timedelta(hours=1))
        )
    want = reference(engine)
    assert {key[-1]: n for key, (n,) in want["ticket_day_frt"].items()} == {
        0: 2,
        599: 1,
        600: 2,
        2870: 1,
        2880: 1,
        4980: 1,
    }
    assert_equal(stored(engine), want)  # the triggers
    with db.write_session(engine) as session:
        rollups.rebuild(session)
    assert_equal(stored(engine), want)
    with db.write_session(engine) as session:
        connection = session.connection()
        connection.exec_driver_sql("DELETE FROM ticket_day_frt")
        scope = "t.id BETWEEN %s AND %s" if connection.dialect.name != "sqlite" else "t.id BETWEEN ? AND ?"
        histogram = next(s for s in model.tickets_share_sql(connection.dialect.name, scope) if "ticket_day_frt" in s)
        connection.exec_driver_sql(histogram, model.share_params(histogram, scope, (min(ids), max(ids))))
    assert stored(engine)["ticket_day_frt"] == want["ticket_day_frt"]


def test_the_histogram_fill_computes_the_minutes_in_an_unmerged_subquery(sqlite_demo_engine: Engine) -> None:
    """SQLite runs the histogram's inner query as its own step (a co-routine or materialized), so the
    minutes are parsed once per ticket; merged into the grouping (no ``LIMIT -1`` fence) each of the
    bucket's references would parse them again."""
    select_sql = model.frt_histogram_select("sqlite", "t.id BETWEEN ? AND ?")
    with sqlite_demo_engine.connect() as connection:
        plan = " | ".join(
            str(row[-1]) for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {select_sql}", (1, 10**9))
        )
        unfenced = select_sql.replace(" LIMIT -1", "")
        merged = " | ".join(
            str(row[-1]) for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {unfenced}", (1, 10**9))
        )
    assert "CO-ROUTINE" in plan or "MATERIALIZE" in plan, plan
    assert "CO-ROUTINE" not in merged and "MATERIALIZE" not in merged, merged  # the guard means something
