"""What ``dtc-tui db info`` reports: location, schema revision, row counts."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine, func, select

from dtc_tui import db
from dtc_tui.models.base import table_of


@dataclass
class DatabaseInfo:
    url: str
    backend: str
    revision: str | None
    head: str
    row_counts: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "url": self.url,
            "backend": self.backend,
            "revision": self.revision,
            "head": self.head,
            "up_to_date": self.revision == self.head,
            "row_counts": self.row_counts,
        }


def info(engine: Engine) -> DatabaseInfo:
    from dtc_tui.models import metadata  # every table's model; ``is_empty`` (each app start) needs three

    counts: dict[str, int] = {}
    with engine.connect() as conn:
        for name in sorted(metadata.tables):
            counts[name] = conn.execute(select(func.count()).select_from(metadata.tables[name])).scalar_one()
    return DatabaseInfo(
        url=engine.url.render_as_string(hide_password=True),
        backend=engine.dialect.name,
        revision=db.current_revision(engine),
        head=db.head_revision(),
        row_counts=counts,
    )


def is_empty(engine: Engine) -> bool:
    """True when the database has no business data yet (only defaults)."""
    from dtc_tui.models import AdStatDaily, Sku, Ticket

    with engine.connect() as conn:
        return all(
            conn.execute(select(func.count()).select_from(table_of(model))).scalar_one() == 0
            for model in (Ticket, Sku, AdStatDaily)
        )
