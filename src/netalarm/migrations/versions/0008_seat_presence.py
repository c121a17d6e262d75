"""seat presence: when a console last used its token at all (background polls included)

Revision ID: 0008_seat_presence
Revises: 0001
Create Date: 2026-11-26 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import netalarm.core.db

revision: str = "0008_seat_presence"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("seat_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seen_at", netalarm.core.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("seat_tokens", schema=None) as batch_op:
        batch_op.drop_column("seen_at")
