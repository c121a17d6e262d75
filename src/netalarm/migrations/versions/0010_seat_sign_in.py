"""seat sign-in: failed attempts in a row per username and the lock they lead to

Revision ID: 0010_seat_sign_in
Revises: 0001
Create Date: 2026-11-27 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import netalarm.core.db

revision: str = "0010_seat_sign_in"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seat_sign_ins",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", netalarm.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", netalarm.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_seat_sign_ins")),
    )
    op.create_index(
        op.f("ix_seat_sign_ins_last_failed_at"), "seat_sign_ins", ["last_failed_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_seat_sign_ins_last_failed_at"), table_name="seat_sign_ins")
    op.drop_table("seat_sign_ins")
