"""Text from customers and CSV files is shown as text on every screen and in notifications:
never parsed as markup (no [@click] action, no crash on a stray [/]) and never passed to the
terminal as control sequences. RTL, emoji, CJK and very long lines lay out without breaking."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select, update

from dtc_tui import db
from dtc_tui.clock import FixedClock
from dtc_tui.config import Settings
from dtc_tui.models import Campaign, Customer, Duty, Person, Sku, Ticket
from dtc_tui.services.common.text import clean_text
from dtc_tui.services.inventory.board import forget_sales_history
from tests.conftest import make_app, screen_text

MARKUP = "[bold red]x[/] [@click=app.quit]quit[/] bad [/] tag"
CONTROLS = "\x1b]52;c;ZXZpbA==\x07\x1b]8;;http://evil.example\x07\x1b[2J\x9b31m\x07"
WORLD = "שלום مرحبا 🚀🧪 中文字符 ünïcödé"
HOSTILE = f"{MARKUP} {CONTROLS}{WORLD} " + "long " * 80
FORBIDDEN = ("\x1b", "\x9b", "\x07", "\x00")


@pytest.fixture
def hostile_engine(sqlite_demo_engine: Engine) -> Engine:
    """The demo with hostile text written straight into the rows each screen shows (bypassing the
    importers' own cleaning: display must be safe on its own)."""
    forget_sales_history()
    with db.write_session(sqlite_demo_engine) as s:
        first_open = s.execute(select(Ticket.id).where(Ticket.is_open).order_by(Ticket.due_sort_at)).scalars().first()
        ticket = s.get(Ticket, first_open)
        ticket.subject = HOSTILE
        ticket.tags = "[b]vip[/b]"
        s.execute(update(Customer).where(Customer.id == ticket.customer_id).values(name=HOSTILE))
        s.execute(update(Sku).where(Sku.code == "DEMO-HERO-1").values(name=HOSTILE))
        s.execute(update(Campaign).where(Campaign.sku_id.is_not(None)).values(name="Shop " + HOSTILE))
        s.execute(update(Person).where(Person.handle == "ana").values(name=HOSTILE))
        s.execute(update(Duty).where(Duty.code == "seo").values(name="SEO " + HOSTILE))
    return sqlite_demo_engine


def assert_safe(app) -> str:
    assert app.is_running, "markup in data must not run actions"
    shown = screen_text(app)
    for char in FORBIDDEN:
        assert char not in shown
    return shown


@pytest.mark.parametrize(
    ("start", "keys", "expected"),
    [
        ("tickets", [], "[bold red]x[/] [@click=app.quit]quit[/] bad [/] tag"),
        ("tickets", ["enter"], "[@click=app.quit]quit[/]"),
        ("overview", [], "Shop [bold red]x[/]"),
        ("inventory", [], "[bold red]x[/]"),
        ("ads", ["enter"], "Shop [bold red]x[/]"),
        ("team", [], "SEO [bold red]x[/]"),
    ],
)
async def test_hostile_text_is_shown_literally(
    hostile_engine: Engine, clock: FixedClock, settings: Settings, start: str, keys: list[str], expected: str
) -> None:
    app = make_app(hostile_engine, clock, settings, start_area=start)
    async with app.run_test(size=(200, 50)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        if start == "inventory":
            app.screen.show_target({"sku_id": _hero(hostile_engine)})
            await pilot.pause()
        for key in keys:
            await pilot.press(key)
            await app.workers.wait_for_complete()
            await pilot.pause()
        shown = assert_safe(app)
        assert expected in shown
        await pilot.press("q")


async def test_hostile_text_at_80_columns_and_in_notifications(
    hostile_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    with db.write_session(hostile_engine) as s:
        s.execute(update(Person).where(Person.handle == "ana").values(handle="[red]ana[/] \x1b[2J"))
    app = make_app(hostile_engine, clock, settings, start_area="tickets")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert_safe(app)
        # Claim a ticket held by the hostile handle: the refusal names it, literally.
        table = app.screen.query_one("#queue")
        held = next(i for i, r in enumerate(table.source.fetch(0, 300)) if r.assignee.startswith("[red]ana"))
        table.cursor = held
        await pilot.press("c")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("[red]ana[/]" in m for m in messages)
        assert not any("\x1b" in m for m in messages)
        assert_safe(app)
        await pilot.press("5")  # the audit view shows nothing from a refused claim; it must still render
        await pilot.pause()
        assert_safe(app)


def test_cleaning_removes_every_control_class_but_keeps_text() -> None:
    cleaned = clean_text(HOSTILE + "\ttab\nnew line\r\n")
    for char in FORBIDDEN:
        assert char not in cleaned
    assert MARKUP in cleaned  # markup is kept as text: it is the display that never parses it
    assert WORLD in cleaned
    assert "\ttab\nnew line\n" in cleaned


def _hero(engine: Engine) -> int:
    with db.read_session(engine) as s:
        return s.execute(select(Sku.id).where(Sku.code == "DEMO-HERO-1")).scalar_one()
