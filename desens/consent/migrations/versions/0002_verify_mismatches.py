"""Count the "no match" answers of each verify consent.

Downgrading drops the counts (upgrading again starts them at 0) and needs
SQLite 3.35 or newer (ALTER TABLE ... DROP COLUMN).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 11:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both backends (SQLite has dropped columns since 3.35):
# a batch operation would copy the consents table, and SQLite refuses to drop
# the old copy while tokens and events refer to it.


def upgrade() -> None:
    """Apply this revision: existing consents start at 0."""
    op.add_column(
        "consents", sa.Column("mismatches", sa.Integer(), nullable=False, server_default="0")
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_column("consents", "mismatches")
