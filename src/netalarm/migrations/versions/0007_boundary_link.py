"""hand-overs: forwards to 110 or the superior server, and the incidents they became

Revision ID: 0007_boundary_link
Revises: 0001
Create Date: 2026-11-26 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import netalarm.core.db

revision: str = "0007_boundary_link"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "link_forwards",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("seat_username", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column(
            "document",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", netalarm.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", netalarm.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("remote_case_number", sa.String(length=64), nullable=True),
        sa.Column("applied_seq", sa.Integer(), nullable=False),
        sa.Column("news_seq", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_link_forwards_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_forwards")),
        sa.UniqueConstraint("incident_id", "target", name=op.f("uq_link_forwards_incident_id")),
    )
    op.create_index(op.f("ix_link_forwards_created_at"), "link_forwards", ["created_at"], unique=False)
    op.create_table(
        "link_inbound",
        sa.Column("forward_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("source_case_number", sa.String(length=64), nullable=False),
        sa.Column("pushed_seq", sa.Integer(), nullable=False),
        sa.Column("news_seq", sa.Integer(), nullable=False),
        sa.Column("received_at", netalarm.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_link_inbound_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("forward_id", name=op.f("pk_link_inbound")),
        sa.UniqueConstraint("incident_id", name=op.f("uq_link_inbound_incident_id")),
    )


def downgrade() -> None:
    op.drop_table("link_inbound")
    op.drop_index(op.f("ix_link_forwards_created_at"), table_name="link_forwards")
    op.drop_table("link_forwards")
