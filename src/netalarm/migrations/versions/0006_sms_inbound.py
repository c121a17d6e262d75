"""sms inbound: a chat message may carry the idempotency key of the SMS it came from

Revision ID: 0006_sms_inbound
Revises: 0001
Create Date: 2026-11-26 10:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_sms_inbound"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=128), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_messages_idempotency_key"), ["idempotency_key"])


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_messages_idempotency_key"), type_="unique")
        batch_op.drop_column("idempotency_key")
