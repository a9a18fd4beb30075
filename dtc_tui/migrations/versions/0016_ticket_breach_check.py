"""ticket breach check: when a ticket can next have a breach nobody recorded

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dtc_tui.models.types import UTCDateTime

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL for every existing ticket: unknown, so the first ``sla check`` (or tick) computes the open
    # tickets whose first clock is due once, as every check did before, and stores the answer.
    # A plain ADD COLUMN on both backends (no table copy on SQLite: the column is nullable).
    op.add_column("ticket", sa.Column("breach_check_at", UTCDateTime(), nullable=True))
    op.create_index("ix_ticket_open_check", "ticket", ["is_open", "breach_check_at", "due_sort_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_ticket_open_check", table_name="ticket")
    op.drop_column("ticket", "breach_check_at")
