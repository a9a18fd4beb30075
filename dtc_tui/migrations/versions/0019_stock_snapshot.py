"""stock snapshot: the overview's stock facts kept between runs of check and the overview

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from dtc_tui.models.types import UTCDateTime

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A cache of what the reorder board gives the overview (services/inventory/snapshot.py):
    # `check` at 10k SKUs spent 0.4 s of its 0.8 s building the board when nothing had changed.
    op.create_table(
        "stock_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("built_at", UTCDateTime(), nullable=False),
        sa.Column("facts", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "stock_snapshot_sku",
        sa.Column("sku_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("sku_id"),
    )


def downgrade() -> None:
    op.drop_table("stock_snapshot_sku")
    op.drop_table("stock_snapshot")
