"""daily roll-ups of tickets and breaches, kept by triggers

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-01 22:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _key() -> tuple[sa.Column, ...]:
    return (
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
    )


COUNTS = (
    "created",
    "answered",
    "cycles",
    "resolved",
    "fr_breached",
    "fr_breached_unanswered",
    "nr_breached",
    "breached",
)
SOLVED = ("solved", "solved_one_reply", "rated", "csat_sum", "satisfied", "res_breached")


def _count(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), server_default="0", nullable=False)


def upgrade() -> None:
    op.create_table(
        "ticket_day",
        *_key(),
        *(_count(n) for n in COUNTS),
        sa.Column("frt_minutes", sa.Float(), server_default="0", nullable=False),
        *(_count(n) for n in SOLVED),
        sa.PrimaryKeyConstraint("day", "channel", "category", "agent_id"),
    )
    op.create_table(
        "ticket_day_frt",
        *_key(),
        sa.Column("bucket", sa.Integer(), nullable=False),
        _count("n"),
        sa.PrimaryKeyConstraint("day", "channel", "category", "agent_id", "bucket"),
    )
    op.create_table(
        "ticket_sku_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        _count("n"),
        sa.PrimaryKeyConstraint("day", "sku_id"),
    )
    op.create_index("ix_ticket_sku_day_sku", "ticket_sku_day", ["sku_id", "day"], unique=False)
    op.create_table(
        "sla_breach_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("metric", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        _count("n"),
        sa.PrimaryKeyConstraint("day", "metric"),
    )
    # The triggers and the first fill come from the models' SQL (one text for the migration, the
    # tests' create_all and ``db rebuild-rollups``).
    from dtc_tui.models import rollups

    rollups.restore(op.get_bind())


def downgrade() -> None:
    from dtc_tui.models import rollups

    bind = op.get_bind()
    for statement in rollups.drop_trigger_ddl(bind.dialect.name):
        bind.exec_driver_sql(statement)
    op.drop_table("sla_breach_day")
    op.drop_index("ix_ticket_sku_day_sku", table_name="ticket_sku_day")
    op.drop_table("ticket_sku_day")
    op.drop_table("ticket_day_frt")
    op.drop_table("ticket_day")
