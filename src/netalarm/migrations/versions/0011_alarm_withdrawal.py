"""alarms: the reporter's withdrawal (when, and why)

Revision ID: 0011_alarm_withdrawal
Revises: 0001
Create Date: 2026-11-27 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import netalarm.core.db

revision: str = "0011_alarm_withdrawal"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alarms", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("withdrawn_at", netalarm.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("withdrawn_reason", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alarms", schema=None) as batch_op:
        batch_op.drop_column("withdrawn_reason")
        batch_op.drop_column("withdrawn_at")
