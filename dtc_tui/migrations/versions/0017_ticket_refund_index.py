"""ticket refund index: the refund signal seeks its tickets instead of scanning a period

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 15:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_ticket_refund", "ticket", ["is_open", "refund_status", "category", "solved_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_ticket_refund", table_name="ticket")
