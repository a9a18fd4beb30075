"""fx rates

Revision ID: 0008
Revises: 0013
Create Date: 2026-12-01 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fx_rate",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("base", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("quote", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("rate", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("date", "base", "quote"),
    )


def downgrade() -> None:
    op.drop_table("fx_rate")
