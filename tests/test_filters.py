"""The one filter language: the parser table-driven, and each user (queue, board, audit, CLI) on it."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from dtc_tui.cli import main_group
from dtc_tui.commands.audit import AUDIT_FILTER_HELP
from dtc_tui.commands.inventory import BOARD_FILTER_HELP
from dtc_tui.commands.tickets import QUEUE_FILTER_HELP
from dtc_tui.config import Settings
from dtc_tui.services.common.audit import AUDIT_FILTER
from dtc_tui.services.common.filters import FilterError, FilterField, FilterLanguage, ParsedFilter, Term, choices
from dtc_tui.services.inventory.board import BOARD_FILTER
from dtc_tui.services.tickets.queue import QUEUE_FILTER, QueueQuery, TicketQueueSource
from tests.conftest import FixedClock, make_app


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


LANG = FilterLanguage(
    "things",
    [
        FilterField("priority", ("prio", "priority"), choices(("low", "normal", "high", "urgent"))),
        FilterField("state", ("state",), {"reorder": ("reorder_now", "reorder_soon"), "ok": ("ok",)}),
        FilterField("name", ("name",)),
        FilterField("code", ("wh",), case="upper"),
        FilterField("since", ("since",)),
        FilterField("id", ("id",), hint="a number", pattern=r"\d+"),
    ],
)


@pytest.mark.parametrize(
    ("text", "terms", "words"),
    [
        ("", (), ()),
        ("refund", (), ("refund",)),
        ("Refund  LATE", (), ("refund", "late")),
        ("prio:high", (Term("priority", ("high",), ("high",)),), ()),
        ("PRIO:High,urgent", (Term("priority", ("high", "urgent"), ("high", "urgent")),), ()),
        (
            "priority:low prio:urgent",
            (Term("priority", ("low",), ("low",)), Term("priority", ("urgent",), ("urgent",))),
            (),
        ),
        ("-prio:low", (Term("priority", ("low",), ("low",), negated=True),), ()),
        ("state:reorder", (Term("state", ("reorder_now", "reorder_soon"), ("reorder",)),), ()),
        ('name:"blue shirt"', (Term("name", ("blue shirt",), ("blue shirt",)),), ()),
        ("name:'a,b'", (Term("name", ("a,b",), ("a,b",)),), ()),
        ('"blue shirt" mug', (), ("blue shirt", "mug")),
        ("10:30", (), ("10:30",)),
        ("since:10:30", (Term("since", ("10:30",), ("10:30",)),), ()),
        ("wh:us-w", (Term("code", ("US-W",), ("US-W",)),), ()),
        ("DEMO-HERO-1", (), ("demo-hero-1",)),
        ("-", (), ("-",)),
        ("id:42,7 x", (Term("id", ("42", "7"), ("42", "7")),), ("x",)),
    ],
)
def test_the_parser(text: str, terms: tuple[Term, ...], words: tuple[str, ...]) -> None:
    parsed = LANG.parse(text)
    assert parsed.terms == terms
    assert parsed.words == words


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("prio:hgh", "unknown priority 'hgh'; one of: low, normal, high, urgent"),
        ("colour:red", "unknown field 'colour'; fields: prio:, state:, name:, wh:, since:, id: or plain text"),
        ("state:sleepy", "unknown state 'sleepy'; one of: reorder, ok"),
        ("name:", "name: needs a value (e.g. name:something)"),
        ("prio:,", "prio: needs a value (e.g. prio:low)"),
        ("id:4x", "id: '4x' is not a number"),
    ],
)
def test_parser_errors_say_what_is_allowed(text: str, message: str) -> None:
    with pytest.raises(FilterError) as caught:
        LANG.parse(text)
    assert str(caught.value) == message


def test_include_exclude_and_describe() -> None:
    parsed = LANG.parse('prio:high -prio:low prio:urgent name:"blue shirt" mug')
    assert parsed.include("priority") == ("high", "urgent")
    assert parsed.exclude("priority") == ("low",)
    assert parsed.include("state") == ()
    assert parsed.fields() == ("priority", "name")
    assert parsed.describe() == 'prio:high -prio:low prio:urgent name:"blue shirt" mug'
    assert LANG.parse(parsed.describe()) == parsed  # what is shown back parses to the same filter
    assert ParsedFilter().empty and not parsed.empty


@pytest.mark.parametrize(
    ("language", "help_text"),
    [(QUEUE_FILTER, QUEUE_FILTER_HELP), (BOARD_FILTER, BOARD_FILTER_HELP), (AUDIT_FILTER, AUDIT_FILTER_HELP)],
)
def test_cli_help_names_every_field(language: FilterLanguage, help_text: str) -> None:
    for spec in language.fields:
        assert any(f"{word}:" in help_text for word in spec.words), spec.key


def test_each_user_reports_an_unknown_value_the_same_way() -> None:
    assert str(pytest.raises(FilterError, QUEUE_FILTER.parse, "prio:hgh").value) == (
        "unknown priority 'hgh'; one of: low, normal, high, urgent"
    )
    assert (
        str(pytest.raises(FilterError, BOARD_FILTER.parse, "class:z").value) == "unknown class 'Z'; one of: A, B, C, D"
    )
    assert "unknown record kind 'tiket'" in str(pytest.raises(FilterError, AUDIT_FILTER.parse, "entity:tiket").value)
    # 10:30 is free text everywhere (the board used to call it an unknown field "10")
    for language in (QUEUE_FILTER, BOARD_FILTER, AUDIT_FILTER):
        assert language.parse("10:30").words == ("10:30",)


def _queue_ids(engine: Engine, clock: FixedClock, text: str) -> list[int]:
    source = TicketQueueSource(engine, QueueQuery(view="all", filter=QUEUE_FILTER.parse(text), now=clock.now()))
    return [row.id for row in source.fetch(0, source.count())]


def test_queue_negation_and_words(sqlite_demo_engine: Engine, clock: FixedClock) -> None:
    every = set(_queue_ids(sqlite_demo_engine, clock, ""))
    whatsapp = set(_queue_ids(sqlite_demo_engine, clock, "ch:whatsapp"))
    assert whatsapp and set(_queue_ids(sqlite_demo_engine, clock, "-ch:whatsapp")) == every - whatsapp
    ana = set(_queue_ids(sqlite_demo_engine, clock, "who:ana"))
    unassigned = set(_queue_ids(sqlite_demo_engine, clock, "who:none"))
    assert ana and unassigned
    # "-who:ana" keeps the unassigned tickets (a NULL assignee is not ana)
    assert set(_queue_ids(sqlite_demo_engine, clock, "-who:ana")) == every - ana
    assert set(_queue_ids(sqlite_demo_engine, clock, "prio:high -status:pending")) <= set(
        _queue_ids(sqlite_demo_engine, clock, "prio:high")
    )


def test_cli_and_queue_give_the_same_answer(sqlite_demo_engine: Engine, clock: FixedClock) -> None:
    text = "ch:email,chat -prio:low"
    expected = _queue_ids(sqlite_demo_engine, clock, text)
    result = CliRunner().invoke(
        main_group,
        [
            "--db",
            url_of(sqlite_demo_engine),
            "tickets",
            "list",
            "--view",
            "all",
            "--filter",
            text,
            "--limit",
            "5000",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["total"] == len(expected) > 0
    assert sorted(t["id"] for t in data["tickets"]) == sorted(expected)


@pytest.mark.parametrize(
    ("command", "text", "message"),
    [
        (["tickets", "list"], "prio:hgh", "unknown priority 'hgh'; one of: low, normal, high, urgent"),
        (["inventory", "reorder"], "state:sleepy", "unknown state 'sleepy'"),
        (["audit"], "who:ana -entity:tiket", "unknown record kind 'tiket'"),
    ],
)
def test_cli_filter_errors_are_one_line_exit_2(
    sqlite_demo_engine: Engine, command: list[str], text: str, message: str
) -> None:
    result = CliRunner().invoke(main_group, ["--db", url_of(sqlite_demo_engine), *command, "--filter", text])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]  # one line
    assert message in result.stderr and result.stderr.startswith("Error: ")
    assert "Traceback" not in result.output


def test_board_cli_filter_matches_the_board(
    sqlite_demo_engine: Engine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dtc_tui import clock as clock_module
    from dtc_tui import db
    from dtc_tui.services.inventory.board import BoardFilter, build_board

    monkeypatch.setattr(clock_module, "utcnow", clock.now)  # the CLI's SystemClock reads this
    with db.read_session(sqlite_demo_engine) as session:
        board = build_board(session, clock.now())
    shown = BoardFilter.parse("-wh:DE class:A,B").apply(board.rows)
    result = CliRunner().invoke(
        main_group,
        ["--db", url_of(sqlite_demo_engine), "inventory", "reorder", "--all", "--filter", "-wh:DE class:A,B", "--json"],
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    assert shown and [(r["sku"], r["warehouse"]) for r in rows] == [(r.code, r.warehouse) for r in shown]
    assert all(r["warehouse"] != "DE" and r["class"] in "AB" for r in rows)


async def test_audit_screen_filter_matches_the_service(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    from datetime import timedelta

    from dtc_tui import db
    from dtc_tui.services.common import audit
    from dtc_tui.services.tickets import ops

    ops.set_priority(sqlite_demo_engine, 1, "urgent", "ana", clock.now() - timedelta(hours=3))
    ops.set_priority(
        sqlite_demo_engine, 2, "high", "ben", clock.now() - timedelta(minutes=30)
    )  # ticket 2 is low: a change, not a no-op (a no-op writes no audit row)
    text = "entity:ticket -who:ana since:2h"
    with db.read_session(sqlite_demo_engine) as session:
        expected = audit.entries(session, log_filter=AUDIT_FILTER.parse(text), now=clock.now())
    assert expected and all(e.actor != "ana" and e.at >= clock.now() - timedelta(hours=2) for e in expected)
    app = make_app(sqlite_demo_engine, clock, settings, start_area="audit")
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("slash")
        app.screen.query_one("#audit-filter").value = text
        await pilot.press("enter")
        await pilot.pause()
        table = app.screen.query_one("#audit")
        assert [e.id for e in table.source.fetch(0, table.row_count)] == [e.id for e in expected]
        assert "entity:ticket -who:ana since:2h" in str(app.screen.query_one("#audit-status").render())
        # a bad since: is a warning, and the log keeps the filter it had
        await pilot.press("slash")
        app.screen.query_one("#audit-filter").value = "since:fortnight"
        await pilot.press("enter")
        await pilot.pause()
        assert any("'fortnight' is not a time like" in n.message for n in app._notifications)
        assert table.row_count == len(expected)
        assert app.screen.query_one("#audit-filter").value == "since:fortnight"  # what was typed is kept


def test_queue_and_audit_filters_on_both_backends(demo_engine: Engine, clock: FixedClock) -> None:
    """The SQL the filters build (NOT with NULLs, lower/upper, LIKE) gives the same answers on each backend."""
    from datetime import timedelta

    from dtc_tui import db
    from dtc_tui.services.common import audit
    from dtc_tui.services.tickets import ops

    every = set(_queue_ids(demo_engine, clock, ""))
    ana = set(_queue_ids(demo_engine, clock, "who:ana"))
    nobody = set(_queue_ids(demo_engine, clock, "who:none"))
    assert ana and nobody
    assert set(_queue_ids(demo_engine, clock, "-who:ana")) == every - ana
    assert set(_queue_ids(demo_engine, clock, "who:ana,none")) == ana | nobody
    tagged = set(_queue_ids(demo_engine, clock, "tag:vip"))
    assert set(_queue_ids(demo_engine, clock, "-tag:vip")) == every - tagged
    ops.set_priority(demo_engine, min(every), "urgent", "Ana", clock.now() - timedelta(minutes=5))
    with db.read_session(demo_engine) as session:
        found = audit.entries(
            session, log_filter=AUDIT_FILTER.parse(f"who:ana id:{min(every)} since:1h"), now=clock.now()
        )
        assert [(e.actor, e.entity_id) for e in found] == [("Ana", str(min(every)))]
        assert audit.entries(session, log_filter=AUDIT_FILTER.parse("who:ana -since:1h urgent"), now=clock.now()) == []
        source = audit.AuditSource(demo_engine, AUDIT_FILTER.parse("entity:ticket urgent"), now=clock.now())
        assert source.count() >= 1 and all("urgent" in str(e.after) for e in source.fetch(0, 50))


async def test_the_help_screen_lists_the_filter_fields(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    from tests.conftest import screen_text

    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        rows = dict(app.screen.rows)
        assert rows["/ prio/priority:"] == "low, normal, high, urgent"
        assert rows["/ -field:value"] == "leave those out"
        assert "Keys: Tickets" in screen_text(app)
