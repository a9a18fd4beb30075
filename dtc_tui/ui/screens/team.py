"""Team: duties as rows, people as columns, RACI values in the cells."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult

from dtc_tui import db
from dtc_tui.services import team
from dtc_tui.ui.safe import safe
from dtc_tui.ui.screens.base import AreaScreen
from dtc_tui.ui.widgets.window_table import Column, ListSource, WindowTable


class TeamScreen(AreaScreen):
    AREA = "team"
    AREA_TITLE = "Team"

    def compose_body(self) -> ComposeResult:
        yield WindowTable([], clock=self.dtc.clock, id="matrix")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(WindowTable).focus()
        self.reload_data()

    def reload_data(self) -> None:
        with db.read_session(self.dtc.engine) as session:
            m = team.matrix(session)
        columns = [Column("function", "Function", 16, lambda d, n: Text(d.function)),
                   Column("duty", "Duty", 24, lambda d, n: safe(d.name), flex=1)]
        for person in m.people:
            pid = person.id
            columns.append(Column(f"p{pid}", person.handle[:6], 6,
                                  lambda d, n, pid=pid: Text(m.roles.get((d.id, pid), "·"))))
        table = self.query_one(WindowTable)
        table.columns = columns
        table.set_source(ListSource(m.duties, key=lambda d: d.id), keep_cursor=True)
