"""link contacts: when the 110 side last called the Internet side (its link is up only then)

Revision ID: 0014_link_contacts
Revises: 0001
Create Date: 2026-11-27 11:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import netalarm.core.db

revision: str = "0014_link_contacts"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "link_contacts",
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("last_seen_at", netalarm.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("target", name=op.f("pk_link_contacts")),
    )


def downgrade() -> None:
    op.drop_table("link_contacts")
