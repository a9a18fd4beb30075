"""customer email lower index: customers found by e-mail, whatever its case, without a scan

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The orders import and inbound mail look customers up by lower(email) IN (...): without this
    # index each batch scanned the whole customer table (an import slowed as its customers grew).
    op.create_index("ix_customer_email_lower", "customer", [sa.text("lower(email)")], unique=False)


def downgrade() -> None:
    op.drop_index("ix_customer_email_lower", table_name="customer")
