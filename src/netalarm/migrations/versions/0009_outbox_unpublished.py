"""outbox: the relay's index holds only the rows still to publish (a partial index on seq)

Revision ID: 0009_outbox_unpublished
Revises: 0001
Create Date: 2026-11-27 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_outbox_unpublished"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNPUBLISHED = sa.text("published_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_unpublished")
        batch_op.create_index(
            "ix_outbox_unpublished", ["seq"], postgresql_where=UNPUBLISHED, sqlite_where=UNPUBLISHED
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_unpublished")
        batch_op.create_index("ix_outbox_unpublished", ["published_at", "seq"], unique=False)
