"""seat console: when a seat token was last used (idle sign-out)

Revision ID: 0004_seat_console
Revises: 0001
Create Date: 2026-11-25 20:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import netalarm.core.db

revision: str = "0004_seat_console"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("seat_tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_used_at", netalarm.core.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("seat_tokens", schema=None) as batch_op:
        batch_op.drop_column("last_used_at")
