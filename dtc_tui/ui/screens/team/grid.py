"""The RACI grid: duties as rows (grouped under function headings), people as columns.

Drawn with the line API: only visible lines render, the header row stays put, rows scroll
vertically and people scroll horizontally when they do not fit (80x24 with the side panel).
The grid owns the cursor; it does not write: r/a/c/i and space/backspace post ``RoleRequested``
and the screen saves through the service.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from dtc_tui.i18n import N_, NC_, _
from dtc_tui.services.team.matrix import DutyInfo, PersonInfo, function_label
from dtc_tui.ui import states
from dtc_tui.ui.safe import safe

CELL = 5  # width of one person column
NAME_MIN, NAME_MAX = 14, 44
MARK_STATE = {"error": "breached", "warning": "breached", "notice": "at_risk"}  # "!" / "~" (ui/states.py)
ROLE_KEYS = Binding.Group(N_("Role"), compact=True)
ROLE_STYLE = {"A": "bold magenta", "R": "bold green", "C": "cyan", "I": "blue"}


@dataclass(frozen=True)
class GridRow:
    kind: str  # "function" | "duty"
    label: str
    duty: DutyInfo | None = None


def build_rows(duties: list[DutyInfo]) -> list[GridRow]:
    """Duties in the order given, with a heading row before each function."""
    rows: list[GridRow] = []
    function = None
    for duty in duties:
        if duty.function != function:
            function = duty.function
            rows.append(GridRow("function", function_label(function)))
        rows.append(GridRow("duty", duty.name, duty))
    return rows


class TeamGrid(Widget, can_focus=True):
    DEFAULT_CSS = """
    TeamGrid { height: 1fr; width: 1fr; }
    TeamGrid > .team-grid--header { text-style: bold; background: $panel; }
    TeamGrid > .team-grid--function { text-style: bold; color: $text-accent; }
    TeamGrid > .team-grid--cursor {
        background: $dtc-cursor-blurred-background; color: $dtc-cursor-blurred-foreground; text-style: bold;
    }
    TeamGrid:focus > .team-grid--cursor { background: $dtc-cursor-background; color: $dtc-cursor-foreground; }
    TeamGrid > .team-grid--cursor-row { background: $boost; }
    TeamGrid > .team-grid--flag { background: $error 35%; }
    TeamGrid > .team-grid--warn { color: $text-error; text-style: bold; }
    TeamGrid > .team-grid--error { color: $text-error; text-style: bold; }
    TeamGrid > .team-grid--warning { color: $text-warning; text-style: bold; }
    TeamGrid > .team-grid--notice { color: $text-warning; }
    TeamGrid > .team-grid--inactive { color: $text-disabled; }
    TeamGrid > .team-grid--empty { color: $text-muted; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "team-grid--header",
        "team-grid--function",
        "team-grid--cursor",
        "team-grid--cursor-row",
        "team-grid--flag",
        "team-grid--warn",
        "team-grid--error",
        "team-grid--warning",
        "team-grid--notice",
        "team-grid--inactive",
        "team-grid--empty",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1, 0)", N_("Up"), show=False, id="team.grid.up"),
        Binding("down,j", "move(1, 0)", N_("Down"), show=False, id="team.grid.down"),
        Binding("left,h", "move(0, -1)", NC_("move the cursor", "Left"), show=False, id="team.grid.left"),
        Binding("right,l", "move(0, 1)", N_("Right"), show=False, id="team.grid.right"),
        Binding("home,g", "first", N_("First duty"), show=False, id="team.grid.first"),
        Binding("end,G", "last", N_("Last duty"), show=False, id="team.grid.last"),
        Binding("pageup", "page(-1)", N_("Page up"), show=False, id="team.grid.page_up"),
        Binding("pagedown", "page(1)", N_("Page down"), show=False, id="team.grid.page_down"),
        Binding("r", "set_role('R')", N_("Responsible"), id="team.set_r", group=ROLE_KEYS),
        Binding("a", "set_role('A')", N_("Accountable"), id="team.set_a", group=ROLE_KEYS),
        Binding("c", "set_role('C')", N_("Consulted"), id="team.set_c", group=ROLE_KEYS),
        Binding("i", "set_role('I')", N_("Informed"), id="team.set_i", group=ROLE_KEYS),
        Binding("space,backspace,delete", "clear", N_("Clear"), id="team.clear"),
    ]

    class CellMoved(Message):
        def __init__(self, grid: TeamGrid, duty: DutyInfo | None, person: PersonInfo | None) -> None:
            super().__init__()
            self.grid = grid
            self.duty = duty
            self.person = person

    class RoleRequested(Message):
        """The operator asked to set (R/A/C/I) or clear (None) the cell; ``expected`` is what it showed."""

        def __init__(
            self, grid: TeamGrid, duty: DutyInfo, person: PersonInfo, role: str | None, expected: str | None
        ) -> None:
            super().__init__()
            self.grid = grid
            self.duty = duty
            self.person = person
            self.role = role
            self.expected = expected

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.people: list[PersonInfo] = []
        self.rows: list[GridRow] = []
        self.roles: dict[tuple[int, int], str] = {}
        self.flagged_cells: set[tuple[int, int]] = set()
        self.duty_marks: dict[int, str] = {}  # duty id -> "error" | "warning" | "notice"
        self.flagged_people: set[int] = set()
        self.row = 0  # index in self.rows (always a duty row when there is one)
        self.col = 0  # index in self.people
        self.top = 0  # first visible row
        self.left = 0  # first visible person column
        self._fitted_to: tuple[int, int] | None = None  # the size the scroll position was last fitted to

    # --- data ---------------------------------------------------------------------------------

    def set_data(
        self,
        people: list[PersonInfo],
        duties: list[DutyInfo],
        roles: dict[tuple[int, int], str],
        *,
        flagged_cells: Collection[tuple[int, int]] = (),
        duty_marks: Mapping[int, str] | None = None,
        flagged_people: Collection[int] = (),
    ) -> None:
        """Replace what is shown, keeping the cursor on the same duty and person where they still exist."""
        duty, person = self.cursor_duty, self.cursor_person
        self.people, self.rows, self.roles = list(people), build_rows(duties), dict(roles)
        self.flagged_cells = set(flagged_cells)
        self.duty_marks = dict(duty_marks or {})
        self.flagged_people = set(flagged_people)
        self.row, self.col = self._first_duty_row(), 0
        self.move_to(duty.id if duty else None, person.id if person else None, announce=False)
        self.post_message(self.CellMoved(self, self.cursor_duty, self.cursor_person))

    @property
    def cursor_duty(self) -> DutyInfo | None:
        if 0 <= self.row < len(self.rows):
            return self.rows[self.row].duty
        return None

    @property
    def cursor_person(self) -> PersonInfo | None:
        return self.people[self.col] if 0 <= self.col < len(self.people) else None

    def cursor_role(self) -> str | None:
        duty, person = self.cursor_duty, self.cursor_person
        return self.roles.get((duty.id, person.id)) if duty and person else None

    def _first_duty_row(self) -> int:
        return next((i for i, r in enumerate(self.rows) if r.kind == "duty"), 0)

    def move_to(self, duty_id: int | None, person_id: int | None, *, announce: bool = True) -> None:
        """Put the cursor on a duty and/or person (None keeps that axis where it is)."""
        if duty_id is not None:
            found = next((i for i, r in enumerate(self.rows) if r.duty and r.duty.id == duty_id), None)
            if found is not None:
                self.row = found
        if person_id is not None:
            found = next((i for i, p in enumerate(self.people) if p.id == person_id), None)
            if found is not None:
                self.col = found
        self._scroll_to_cursor()
        self.refresh()
        if announce:
            self.post_message(self.CellMoved(self, self.cursor_duty, self.cursor_person))

    # --- geometry -----------------------------------------------------------------------------

    @property
    def body_height(self) -> int:
        return max(self.size.height - 1, 1)

    def layout_widths(self) -> tuple[int, int]:
        """(name width, number of visible person columns) for the current width."""
        avail = max(self.size.width - 2, 1)
        longest = max((cell_len(r.label) for r in self.rows), default=NAME_MIN)
        needed = CELL * len(self.people)
        if avail - needed >= NAME_MIN:
            return min(max(longest, NAME_MIN), NAME_MAX, avail - needed), len(self.people)
        return NAME_MIN, max((avail - NAME_MIN) // CELL, 1)

    def _scroll_to_cursor(self) -> None:
        # Show the function heading above the first duty of a function when scrolling up to it.
        wanted_top = self.row - 1 if self.row > 0 and self.rows[self.row - 1].kind == "function" else self.row
        if wanted_top < self.top:
            self.top = max(wanted_top, 0)
        elif self.row >= self.top + self.body_height:
            self.top = self.row - self.body_height + 1
        _, visible = self.layout_widths()
        if self.col < self.left:
            self.left = self.col
        elif self.col >= self.left + visible:
            self.left = self.col - visible + 1
        self.left = max(min(self.left, max(len(self.people) - visible, 0)), 0)

    def on_resize(self) -> None:
        self._scroll_to_cursor()

    def _refit(self) -> None:
        """Fit the scroll position to the size the grid is drawn at. A resize that arrives while the
        grid is hidden or mid-layout (tmux sends several) could leave ``left`` fitted to a narrow
        moment: the grid then showed one person column at full width."""
        size = (self.size.width, self.size.height)
        if size != self._fitted_to:
            self._fitted_to = size
            self._scroll_to_cursor()

    # --- actions ------------------------------------------------------------------------------

    def _duty_rows(self) -> list[int]:
        return [i for i, r in enumerate(self.rows) if r.kind == "duty"]

    def action_move(self, rows: int, cols: int) -> None:
        if rows:
            duty_rows = self._duty_rows()
            if duty_rows:
                here = duty_rows.index(self.row) if self.row in duty_rows else 0
                self.row = duty_rows[max(0, min(here + rows, len(duty_rows) - 1))]
        if cols and self.people:
            self.col = max(0, min(self.col + cols, len(self.people) - 1))
        self.move_to(None, None)

    def action_first(self) -> None:
        self.row = self._first_duty_row()
        self.move_to(None, None)

    def action_last(self) -> None:
        duty_rows = self._duty_rows()
        self.row = duty_rows[-1] if duty_rows else 0
        self.move_to(None, None)

    def action_page(self, direction: int) -> None:
        self.action_move(direction * max(self.body_height - 2, 1), 0)

    def action_set_role(self, role: str) -> None:
        self._request(role)

    def action_clear(self) -> None:
        self._request(None)

    def _request(self, role: str | None) -> None:
        duty, person = self.cursor_duty, self.cursor_person
        if duty is None or person is None:
            return
        self.post_message(self.RoleRequested(self, duty, person, role, self.cursor_role()))

    # --- mouse --------------------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        name_width, visible = self.layout_widths()
        index = self.top + event.y - 1
        if event.y >= 1 and 0 <= index < len(self.rows) and self.rows[index].kind == "duty":
            self.row = index
        column = (event.x - 2 - name_width) // CELL
        if event.x >= 2 + name_width and 0 <= column < visible and self.left + column < len(self.people):
            self.col = self.left + column
        self.move_to(None, None)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self.top = min(self.top + 3, max(len(self.rows) - self.body_height, 0))
        self.refresh()

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self.top = max(self.top - 3, 0)
        self.refresh()

    # --- drawing ------------------------------------------------------------------------------

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"team-grid--{name}")

    def _header(self, name_width: int, visible: int) -> Text:
        line = Text("‹ " if self.left > 0 else "  ", no_wrap=True, end="")
        title = _("Duty")
        line.append(title + " " * max(name_width - cell_len(title), 0))
        shown = self.people[self.left : self.left + visible]
        for offset, person in enumerate(shown):
            style = Style()
            if person.id in self.flagged_people:
                style += self._style("warn")
            if not person.active:
                style += self._style("inactive")
            if self.left + offset == self.col:
                style += Style(underline=True)
            handle = safe(person.handle[: CELL - 1], style=style)
            left = (CELL - handle.cell_len) // 2
            line.append(" " * left)
            line.append_text(handle)
            line.append(" " * (CELL - left - handle.cell_len))
        if self.left + visible < len(self.people):
            line.append("›")
        return line

    def _duty_line(self, index: int, name_width: int, visible: int) -> Text:
        row = self.rows[index]
        duty = row.duty
        assert duty is not None
        is_cursor_row = index == self.row
        mark = self.duty_marks.get(duty.id)
        line = Text(no_wrap=True, end="")
        line.append(states.glyph(MARK_STATE[mark]) + " " if mark else "  ", style=self._style(mark) if mark else "")
        name = safe(row.label)
        name.truncate(name_width, overflow="ellipsis", pad=True)
        if not duty.active:
            name.stylize(self._style("inactive"))
        line.append_text(name)
        if is_cursor_row:
            line.stylize(self._style("cursor-row"), 0, line.cell_len)
        for offset, person in enumerate(self.people[self.left : self.left + visible]):
            col = self.left + offset
            role = self.roles.get((duty.id, person.id))
            flagged = (duty.id, person.id) in self.flagged_cells
            # A cell to fix is marked "!" as well as tinted, so it shows without colour too.
            label = f"{states.glyph('breached')}{role or '·':^{CELL - 2}} " if flagged else f"{role or '·':^{CELL}}"
            cell = Text(label, style=ROLE_STYLE.get(role or "", "") or self._style("empty"))
            if flagged:
                cell.stylize(self._style("flag"))
            if not person.active:
                cell.stylize(self._style("inactive"))
            if is_cursor_row and col == self.col:
                cell.stylize(self._style("cursor"))
            elif is_cursor_row or col == self.col:
                cell.stylize(self._style("cursor-row"))
            line.append_text(cell)
        return line

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        if not self.rows:
            if y == 1:
                text = Text(
                    "  " + _("No duties. Press n to add one, or load a stage: dtc-tui team template growth"),
                    style=self._style("empty"),
                )
                return Strip(list(text.render(self.app.console))).crop_extend(0, width, base)
            return Strip.blank(width, base)
        self._refit()
        name_width, visible = self.layout_widths()
        if y == 0:
            header = self._header(name_width, visible)
            style = self._style("header")
            return Strip(list(header.render(self.app.console))).crop_extend(0, width, style).apply_style(style)
        index = self.top + y - 1
        if index >= len(self.rows):
            return Strip.blank(width, base)
        row = self.rows[index]
        if row.kind == "function":
            text = Text("  ", no_wrap=True, end="")
            text.append_text(safe(row.label, style=self._style("function")))
        else:
            text = self._duty_line(index, name_width, visible)
        return Strip(list(text.render(self.app.console))).crop_extend(0, width, base).apply_style(base)
