"""Exchange rates: what converts an amount in one currency to the store's, on its own date."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Date
from sqlmodel import Field

from dtc_tui.models.base import TableModel


class FxRate(TableModel, table=True):
    """1 ``base`` = ``rate`` ``quote`` on ``date`` (e.g. 2026-11-17, USD, INR, 83.2).

    Imported (``dtc-tui import fx-rates FILE``: ``date,base,quote,rate``) like the other tables;
    an amount is converted with the rate of its own date, or the latest one before it.
    """

    __tablename__ = "fx_rate"
    on: dt.date = Field(sa_column=Column("date", Date, primary_key=True))
    base: str = Field(primary_key=True, max_length=3)
    quote: str = Field(primary_key=True, max_length=3)
    rate: float
