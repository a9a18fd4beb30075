"""queue indexes: priority rank, waiting view, free-text search

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


def downgrade() -> None:
    from dtc_tui.models import ticket_search

    ticket_search.drop(op.get_bind())
