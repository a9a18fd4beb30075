"""queue indexes: priority rank, waiting and at-risk views, free-text search

Revision ID: 0015
Revises: 0008
Create Date: 2026-12-02 06:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # One text for the migration, the models' create_all and the restore after a batch migration.
    from dtc_tui.models import ticket_search

    ticket_search.create(op.get_bind())
    op.create_index("ix_ticket_open_risk", "ticket", ["is_open", "next_risk_at", "next_due_at"], unique=False)


def downgrade() -> None:
    from dtc_tui.models import ticket_search

    op.drop_index("ix_ticket_open_risk", table_name="ticket")
    ticket_search.drop(op.get_bind())
