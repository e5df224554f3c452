"""Store records sealed (AES-GCM) instead of in clear.

The schema step only: a migration has no key. ``ConsentStore.migrate`` runs
it and then seals the records written before it (``data`` -> ``sealed``) and
rewrites the table; the ``reclaim_records`` task (in ``maintenance_tasks``)
stays until that rewrite succeeded.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision: ``records.sealed``, and ``records.data`` may be empty."""
    # SQLite copies the table to change a column's nullability; nothing refers to records.
    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("sealed", sa.Text(), nullable=True))
        batch.alter_column("data", existing_type=sa.JSON(), nullable=True)
    tasks = op.create_table(
        "maintenance_tasks",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    # Records stored in clear: once sealed, their old versions must be reclaimed.
    if op.get_bind().execute(sa.text("SELECT 1 FROM records LIMIT 1")).first() is not None:
        op.bulk_insert(tasks, [{"name": "reclaim_records"}])


def downgrade() -> None:
    """Revert this revision, if no record is sealed: a migration cannot open them."""
    bind = op.get_bind()
    sealed = bind.execute(sa.text("SELECT count(*) FROM records WHERE sealed IS NOT NULL"))
    if sealed.scalar():
        raise RuntimeError(
            "records are stored sealed; revision 0002 cannot hold them. "
            "Export the datasets' records before downgrading, or keep this revision."
        )
    op.drop_table("maintenance_tasks")
    with op.batch_alter_table("records") as batch:
        batch.drop_column("sealed")
        batch.alter_column("data", existing_type=sa.JSON(), nullable=False)
