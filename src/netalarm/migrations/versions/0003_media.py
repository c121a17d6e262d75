"""media: tus uploads and media files

Revision ID: 0003_media
Revises: 0001
Create Date: 2026-11-25 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import netalarm.core.db

revision: str = "0003_media"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "media_uploads",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reporter_id", sa.Uuid(), nullable=False),
        sa.Column("alarm_id", sa.Uuid(), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("metadata_header", sa.String(length=4000), nullable=False),
        sa.Column("storage_state", JSON, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", netalarm.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", netalarm.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", netalarm.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lock_token", sa.String(length=32), nullable=True),
        sa.Column("ended_at", netalarm.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["alarm_id"], ["alarms.id"], name=op.f("fk_media_uploads_alarm_id_alarms")),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_media_uploads_message_id_messages")
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"], ["reporters.id"], name=op.f("fk_media_uploads_reporter_id_reporters")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_uploads")),
    )
    op.create_index(op.f("ix_media_uploads_alarm_id"), "media_uploads", ["alarm_id"], unique=False)
    op.create_index("ix_media_uploads_reporter_created", "media_uploads", ["reporter_id", "created_at"])
    op.create_index("ix_media_uploads_status_expires", "media_uploads", ["status", "expires_at"])
    op.create_table(
        "media",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("alarm_id", sa.Uuid(), nullable=False),
        sa.Column("reporter_id", sa.Uuid(), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_on", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("preview_key", sa.String(length=300), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("hint_lat", sa.Float(), nullable=True),
        sa.Column("hint_lon", sa.Float(), nullable=True),
        sa.Column("created_at", netalarm.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["alarm_id"], ["alarms.id"], name=op.f("fk_media_alarm_id_alarms")),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name=op.f("fk_media_message_id_messages")),
        sa.ForeignKeyConstraint(
            ["reporter_id"], ["reporters.id"], name=op.f("fk_media_reporter_id_reporters")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media")),
    )
    op.create_index(op.f("ix_media_alarm_id"), "media", ["alarm_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_media_alarm_id"), table_name="media")
    op.drop_table("media")
    op.drop_index("ix_media_uploads_status_expires", table_name="media_uploads")
    op.drop_index("ix_media_uploads_reporter_created", table_name="media_uploads")
    op.drop_index(op.f("ix_media_uploads_alarm_id"), table_name="media_uploads")
    op.drop_table("media_uploads")
