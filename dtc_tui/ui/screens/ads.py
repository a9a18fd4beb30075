"""Ads: spend and ROAS per campaign over the last 30 days."""

from __future__ import annotations

from datetime import timedelta

from rich.text import Text
from textual.app import ComposeResult

from dtc_tui import db
from dtc_tui.services import ads
from dtc_tui.ui.safe import safe
from dtc_tui.ui.screens.base import AreaScreen
from dtc_tui.ui.widgets.window_table import Column, ListSource, WindowTable

COLUMNS = [
    Column("channel", "Channel", 10, lambda r, n: Text(r.channel)),
    Column("name", "Campaign", 24, lambda r, n: safe(r.name), flex=1),
    Column("spend", "Spend", 10, lambda r, n: Text(f"{r.spend:,.0f}"), align="right"),
    Column("revenue", "Revenue", 10, lambda r, n: Text(f"{r.revenue:,.0f}"), align="right"),
    Column("roas", "ROAS", 6, lambda r, n: Text("-" if r.roas is None else f"{r.roas:.2f}"), align="right"),
]


class AdsScreen(AreaScreen):
    AREA = "ads"
    AREA_TITLE = "Ads"

    def compose_body(self) -> ComposeResult:
        yield WindowTable(COLUMNS, clock=self.dtc.clock, id="campaigns")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(WindowTable).focus()
        self.reload_data()

    def reload_data(self) -> None:
        today = self.dtc.clock.now().date()
        with db.read_session(self.dtc.engine) as session:
            rows = ads.campaign_totals(session, today - timedelta(days=30), today)
        self.query_one(WindowTable).set_source(ListSource(rows, key=lambda r: r.campaign_id), keep_cursor=True)
