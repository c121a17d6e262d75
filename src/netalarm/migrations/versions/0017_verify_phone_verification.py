"""phone verification: codes sent by SMS, the reporter's verified phone, SMS text hidden from seats

Revision ID: 0017_verify_phone_verification
Revises: 0005_channels
Create Date: 2026-11-27 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import netalarm.core.db

revision: str = "0017_verify_phone_verification"
# After the SMS channel's tables, not beside them from 0001: the codes point at SMS
# deliveries, and the deliveries get a column. (A `depends_on` would leave 0005 out of the
# database's recorded heads, and /readyz compares those with the scripts' heads.)
down_revision: str | None = "0005_channels"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reporters", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("phone_verified_at", netalarm.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("phone_verified_via", sa.String(length=16), nullable=True))
    with op.batch_alter_table("sms_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shown_text", sa.Text(), nullable=True))
    op.create_table(
        "phone_verifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("alarm_id", sa.Uuid(), nullable=False),
        sa.Column("reporter_id", sa.Uuid(), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", netalarm.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", netalarm.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("ended_at", netalarm.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["alarm_id"], ["alarms.id"], name=op.f("fk_phone_verifications_alarm_id_alarms")
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["sms_deliveries.id"],
            name=op.f("fk_phone_verifications_delivery_id_sms_deliveries"),
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"], ["reporters.id"], name=op.f("fk_phone_verifications_reporter_id_reporters")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_verifications")),
    )
    op.create_index(
        op.f("ix_phone_verifications_alarm_id"), "phone_verifications", ["alarm_id"], unique=False
    )
    op.create_index("ix_phone_verifications_phone_created", "phone_verifications", ["phone", "created_at"])


def downgrade() -> None:
    op.drop_table("phone_verifications")
    with op.batch_alter_table("sms_deliveries", schema=None) as batch_op:
        batch_op.drop_column("shown_text")
    with op.batch_alter_table("reporters", schema=None) as batch_op:
        batch_op.drop_column("phone_verified_via")
        batch_op.drop_column("phone_verified_at")
