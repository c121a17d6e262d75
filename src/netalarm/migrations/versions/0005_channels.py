"""channels: SMS deliveries and their attempts

Revision ID: 0005_channels
Revises: 0001
Create Date: 2026-11-26 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import netalarm.core.db

revision: str = "0005_channels"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sms_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("to", sa.String(length=32), nullable=False),
        sa.Column("to_source", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("seat_username", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", netalarm.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", netalarm.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("claimed_until", netalarm.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", netalarm.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failed_at", netalarm.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_sms_deliveries_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_deliveries")),
    )
    op.create_index(op.f("ix_sms_deliveries_incident_id"), "sms_deliveries", ["incident_id"], unique=False)
    op.create_index("ix_sms_deliveries_status_next", "sms_deliveries", ["status", "next_attempt_at"])
    op.create_table(
        "sms_attempts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("transport", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("at", netalarm.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["sms_deliveries.id"], name=op.f("fk_sms_attempts_delivery_id_sms_deliveries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_attempts")),
    )
    op.create_index(op.f("ix_sms_attempts_delivery_id"), "sms_attempts", ["delivery_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_sms_attempts_delivery_id"), table_name="sms_attempts")
    op.drop_table("sms_attempts")
    op.drop_index("ix_sms_deliveries_status_next", table_name="sms_deliveries")
    op.drop_index(op.f("ix_sms_deliveries_incident_id"), table_name="sms_deliveries")
    op.drop_table("sms_deliveries")
