"""Readable without colour and at 80x24 (issue 19, items 4-5).

- every state colour shows has a glyph that survives NO_COLOR, 16 colours and colour blindness,
  from one table (``dtc_tui.ui.states``), with an ASCII fallback for the Linux console;
- the cursor row meets 4.5:1 in every theme the app offers, computed from the theme's colours;
  16-colour themes never use red (or green) for the cursor;
- every screen and the main sub-views at 80x24: the footer starts with ``? Keys`` and shows only
  whole keys; a detail area never ends mid-sentence without a hint;
- NO_COLOR snapshots of the queue, the board, ads and the overview.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from rich.color import Color as RichColor
from sqlalchemy import Engine
from textual.color import Color
from textual.pilot import Pilot
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from dtc_tui.clock import FixedClock
from dtc_tui.config import Settings
from dtc_tui.services.tickets.queue import QueueRow
from dtc_tui.ui import states
from dtc_tui.ui.cursor_colours import contrast, cursor_variables
from dtc_tui.ui.widgets.detail import DetailPanel
from dtc_tui.ui.widgets.footer import fitting
from dtc_tui.ui.widgets.window_table import WindowTable
from tests.conftest import FIXED_NOW, make_app, screen_text

RED_OR_GREEN = {1, 2, 9, 10}  # ANSI red, green, bright red, bright green


@pytest.fixture
def glyph_mode() -> Iterator[None]:
    yield
    states.configure(ascii=False, no_color=False)


async def settled(pilot: Pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


# --- the shared state table ---------------------------------------------------------------------


def _row(due_in: timedelta | None, status: str = "open") -> QueueRow:
    fields = {name: None for name in QueueRow.__dataclass_fields__}
    fields.update(
        id=1,
        status=status,
        next_due_at=None if due_in is None else FIXED_NOW + due_in,
        next_risk_at=None if due_in is None else FIXED_NOW + due_in - timedelta(hours=3),
    )
    return QueueRow(**fields)  # type: ignore[arg-type]


def test_sla_cells_carry_a_glyph_and_no_colour_under_no_color(glyph_mode: None) -> None:
    from dtc_tui.ui.screens.tickets.queue import sla_cell

    states.configure(ascii=False, no_color=False)
    breached = sla_cell(_row(timedelta(hours=-2)), FIXED_NOW)
    at_risk = sla_cell(_row(timedelta(hours=1)), FIXED_NOW)
    running = sla_cell(_row(timedelta(hours=20)), FIXED_NOW)
    assert breached.plain.startswith("! ") and "red" in str(breached.style)
    assert at_risk.plain.startswith("~ ")
    assert not running.plain.startswith(("!", "~"))

    states.configure(ascii=False, no_color=True)
    breached = sla_cell(_row(timedelta(hours=-2)), FIXED_NOW)
    # No colour at all (Textual's NO_COLOR filter turned red into grey 237 on 233): reverse video.
    assert "red" not in str(breached.style) and "reverse" in str(breached.style)


def test_ascii_fallback_on_the_linux_console(glyph_mode: None) -> None:
    assert states.wants_ascii("auto", term="linux")
    assert not states.wants_ascii("auto", term="xterm-256color")
    assert states.wants_ascii("ascii", term="xterm") and not states.wants_ascii("unicode", term="linux")
    states.configure(ascii=True, no_color=False)
    assert states.mark("met", "ok").plain == "+ ok"
    assert states.glyph("signal") == "*"
    assert all(ord(c) < 128 for look in states.LOOKS.values() for c in look.ascii)


def test_every_state_has_a_distinct_glyph() -> None:
    shown = [s for s in states.LOOKS if s != "neutral"]
    assert len({states.LOOKS[s].glyph for s in shown}) == len(shown)
    assert len({states.LOOKS[s].ascii for s in shown}) == len(shown)
    assert all("red" not in look.plain and "green" not in look.plain for look in states.LOOKS.values())


# --- cursor contrast in every theme ------------------------------------------------------------


def _rgb(colour: RichColor | None) -> Color:
    assert colour is not None
    triplet = colour.get_truecolor()
    return Color(triplet.red, triplet.green, triplet.blue)


async def test_cursor_row_contrast_in_every_theme(sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings):
    app = make_app(sqlite_demo_engine, clock, settings, start_area="tickets")
    failures: list[str] = []
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        table = app.screen.query_one(WindowTable)
        assert table.has_focus
        themes = sorted(app.available_themes)
        assert {"textual-dark", "ansi-dark", "ansi-light"} <= set(themes)
        for name in themes:
            app.theme = name
            await pilot.pause()
            style = table.get_component_rich_style("window-table--cursor")
            variables = app.theme_variables
            if app.current_theme.ansi:
                pairs = [(style.color, style.bgcolor)]
                for fg, bg in pairs:
                    numbers = {c.number for c in (fg, bg) if c is not None}
                    if numbers & RED_OR_GREEN:
                        failures.append(f"{name}: cursor uses red or green (ANSI {sorted(numbers)})")
                continue
            fg, bg = _rgb(style.color), _rgb(style.bgcolor)
            measured = {"queue cursor": contrast(fg, bg)}
            for prefix in ("block-cursor", "block-cursor-blurred", "dtc-cursor-blurred"):
                measured[prefix] = contrast(
                    Color.parse(variables[f"{prefix}-foreground"]), Color.parse(variables[f"{prefix}-background"])
                )
            failures += [f"{name}: {what} {ratio:.2f}:1" for what, ratio in measured.items() if ratio < 4.5]
    assert not failures, failures


def test_cursor_colours_of_a_16_colour_theme_are_never_red_or_green() -> None:
    from textual.theme import BUILTIN_THEMES

    for name in ("ansi-dark", "ansi-light"):
        theme = BUILTIN_THEMES[name]
        values = cursor_variables({**theme.to_color_system().generate(), **theme.variables})
        colours = [Color.parse(v) for k, v in values.items() if k.startswith("dtc-cursor")]
        assert all(c.ansi is not None and c.ansi not in RED_OR_GREEN for c in colours), (name, values)


# --- every screen at 80x24 ----------------------------------------------------------------------

# (start area, keys) reaching each screen and the main sub-views.
SCREENS = {
    "overview": ("overview", []),
    "queue": ("tickets", []),
    "ticket view": ("tickets", ["enter"]),
    "kpis": ("tickets", ["K"]),
    "sla settings": ("tickets", ["S"]),
    "orders": ("tickets", ["O"]),
    "help": ("tickets", ["question_mark"]),
    "board": ("inventory", []),
    "sku detail": ("inventory", ["enter"]),
    "po list": ("inventory", ["p"]),
    "ads channels": ("ads", []),
    "ads campaigns": ("ads", ["j", "j", "enter"]),
    "ads days": ("ads", ["j", "j", "enter", "enter"]),
    "team": ("team", []),
    "audit": ("audit", []),
}


def footer_problems(app) -> list[str]:
    """A cut word, a key run under the palette hint, or ``? Keys`` not first."""
    footers = list(app.screen.query(Footer))
    if not footers:
        return [] if app.screen.is_modal else ["no footer"]
    footer = footers[0]
    keys = [k for k in footer.query(FooterKey) if "-command-palette" not in k.classes]
    palette = [k for k in footer.query(FooterKey) if "-command-palette" in k.classes]
    problems = []
    # "?" types into a focused input box (orders' find box), so there the same entry shows "f1 Keys".
    if not keys or keys[0].key_display not in ("?", "f1") or keys[0].description != "Keys":
        problems.append("'? Keys' is not first")
    limit = palette[0].region.x if palette else footer.region.right
    line = screen_text(app).splitlines()[-1] if screen_text(app) else ""
    for key in keys:
        label = f"{key.key_display} {key.description}"
        if key.region.right > limit or key.region.width < len(label):
            problems.append(f"cut: {label!r}")
    for label in (f"{k.key_display} {k.description}" for k in keys):
        if label not in line:
            problems.append(f"not whole on screen: {label!r} in {line!r}")
    return problems


def detail_problems(app) -> list[str]:
    problems = []
    text = screen_text(app)
    for panel in app.screen.query(DetailPanel):
        if not panel.text.plain:
            continue
        if panel.cut:
            if panel.hint not in text:
                problems.append(f"#{panel.id} cut without its hint")
            continue
        last_words = panel.text.plain.split()[-2:]
        if not all(word in text for word in last_words):
            problems.append(f"#{panel.id} ends before {' '.join(last_words)!r}")
    return problems


@pytest.mark.parametrize("name", list(SCREENS))
async def test_every_screen_at_80x24(
    name: str, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    area, keys = SCREENS[name]
    app = make_app(sqlite_demo_engine, clock, settings, start_area=area)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        for key in keys:
            await pilot.press(key)
            await settled(pilot)
        assert footer_problems(app) + detail_problems(app) == []


async def test_overview_recommendation_shows_its_end_at_80x24(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="overview")
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        text = " ".join(screen_text(app).split())
        assert "$1,341 at stake" in text


def test_footer_fits_whole_entries_and_stops_at_the_first_that_does_not() -> None:
    from dtc_tui.ui.widgets.footer import FooterEntry

    entries = [FooterEntry(k, k, d, d, True, "") for k, d in [("?", "Keys"), ("c", "Claim"), ("q", "Quit")]]
    assert [e.description for e in fitting(entries, 12 + 7 + 8)] == ["Keys", "Claim"]
    assert [e.description for e in fitting(entries, 12 + 7 + 8 + 7)] == ["Keys", "Claim", "Quit"]


# --- NO_COLOR snapshots --------------------------------------------------------------------------

NO_COLOR_SCREENS = {
    "queue": ("tickets", []),
    "board": ("inventory", []),
    "ads": ("ads", []),
    "overview": ("overview", []),
}


@pytest.mark.parametrize("name", list(NO_COLOR_SCREENS))
def test_no_color_snapshot(
    name: str,
    snap_compare,
    monkeypatch: pytest.MonkeyPatch,
    sqlite_demo_engine: Engine,
    clock: FixedClock,
    settings: Settings,
    glyph_mode: None,
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    area, keys = NO_COLOR_SCREENS[name]
    app = make_app(sqlite_demo_engine, clock, settings, start_area=area)
    assert app.no_color
    assert snap_compare(app, run_before=settled, press=keys, terminal_size=(80, 24))


def test_no_color_filter_keeps_every_text_at_4_5_to_1() -> None:
    from rich.segment import Segment
    from rich.style import Style

    from dtc_tui.ui.cursor_colours import ReadableMonochrome

    background = Color(18, 18, 18)
    segments = [
        Segment("! -1d3h", Style.parse("bold #b93c5b on #121212")),  # $error on the background
        Segment("urgent", Style.parse("bold red")),
        Segment("text", Style.parse("#e0e0e0 on #121212")),
    ]
    for segment in ReadableMonochrome().apply(segments, background):
        style = segment.style
        assert style is not None and style.color is not None
        fg = _rgb(style.color)
        bg = _rgb(style.bgcolor) if style.bgcolor is not None else background
        assert fg.r == fg.g == fg.b, "grey"
        assert contrast(fg, bg) >= 4.5, (segment.text, fg, bg)
