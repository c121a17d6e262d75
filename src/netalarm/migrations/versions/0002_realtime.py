"""realtime: outbox publication order, SLA watchdog stamps

Revision ID: 0002_realtime
Revises: 0001
Create Date: 2026-11-25 20:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import netalarm.core.db

revision: str = "0002_realtime"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("published_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )
        batch_op.create_index("ix_outbox_published_seq", ["published_seq"], unique=True)
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sla_alerted_at", netalarm.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("sla_escalated_at", netalarm.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("sla_started_at", netalarm.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_incidents_status_created", ["status", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_status_created")
        batch_op.drop_column("sla_started_at")
        batch_op.drop_column("sla_escalated_at")
        batch_op.drop_column("sla_alerted_at")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_published_seq")
        batch_op.drop_column("published_seq")
