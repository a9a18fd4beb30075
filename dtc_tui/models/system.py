"""Settings (domain defaults the operator may change), the audit log and presence."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field

from dtc_tui.models.base import TableModel, utc_field
from dtc_tui.models.types import UTCDateTime


class Setting(TableModel, table=True):
    """A domain default overridden by the operator; the value is JSON text."""

    __tablename__ = "setting"
    key: str = Field(primary_key=True, max_length=100)
    value: str
    updated_at: datetime | None = utc_field()
    updated_by: str | None = Field(default=None, max_length=100)


class AuditLog(TableModel, table=True):
    """Every change: who, when, what, before and after (JSON text)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=100)
    entity: str = Field(max_length=50)
    entity_id: str = Field(max_length=100)
    action: str = Field(max_length=50)
    before: str | None = None
    after: str | None = None


class Presence(TableModel, table=True):
    """Who has which record open, refreshed by a heartbeat; stale rows are ignored."""

    __tablename__ = "presence"
    __table_args__ = (Index("ix_presence_entity", "entity", "entity_id"),)
    id: int | None = Field(default=None, primary_key=True)
    operator: str = Field(max_length=100)
    entity: str = Field(max_length=50)
    entity_id: str = Field(max_length=100)
    state: str = Field(default="viewing", max_length=20)
    seen_at: datetime = Field(sa_type=UTCDateTime)


class ChangeCounter(TableModel, table=True):
    """One row per area, bumped on every write, so other instances can poll cheaply."""

    __tablename__ = "change_counter"
    area: str = Field(primary_key=True, max_length=30)
    counter: int = 0


class ImportBaseline(TableModel, table=True):
    """The values an import last wrote to one record, per field (JSON): the base of the three-way
    merge that lets a re-import change only what the file changed, never the team's edits."""

    __tablename__ = "import_baseline"
    __table_args__ = (UniqueConstraint("kind", "record_key", name="uq_import_baseline_record"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=30)  # the record's origin: "zendesk", "freshdesk"...
    record_key: str = Field(max_length=100)  # its natural key there (the help desk's ticket id)
    values: str = ""  # {"status": "open", "assignee_id": null, ...} as last imported
    imported_at: datetime = Field(sa_type=UTCDateTime)  # when these values were first written


class OverviewAck(TableModel, table=True):
    """An overview item acknowledged (with a note) or snoozed until a time, by one operator or for the
    whole team (``operator`` = ""). It hides the item while the item's numbers are the ones seen
    (``fingerprint``); when they change, the item comes back."""

    __tablename__ = "overview_ack"
    __table_args__ = (UniqueConstraint("item_key", "operator", name="uq_overview_ack_item"),)
    id: int | None = Field(default=None, primary_key=True)
    item_key: str = Field(max_length=300)  # kind and what it points at: stable while the item exists
    operator: str = Field(default="", max_length=100)  # "" = for the team
    kind: str = Field(max_length=10)  # ack | snooze
    note: str = Field(default="", max_length=500)
    until: datetime | None = utc_field()  # a snooze ends here
    fingerprint: str = Field(max_length=64)  # of the item's numbers when acknowledged
    title: str = Field(default="", max_length=300)  # what the item said then (for "acknowledged" lists)
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(sa_type=UTCDateTime)


class DbActivity(TableModel, table=True):
    """A long write running now (an import), so a busy database can name who holds it.

    Written in its own short transaction before the work starts and deleted when it ends; a row
    whose process is gone (same host) or that is older than a day is stale and ignored."""

    __tablename__ = "db_activity"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=30)
    actor: str = Field(max_length=100)
    detail: str = Field(default="", max_length=200)
    host: str = Field(max_length=100)
    pid: int
    started_at: datetime = Field(sa_type=UTCDateTime)
