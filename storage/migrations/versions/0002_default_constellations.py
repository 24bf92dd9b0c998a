"""default constellations

The origin (Luminary) seeded three constellations into an empty table at start-up; its iOS
client's picker lists them. Here a data migration adds them once, so several workers starting
together never race to seed.

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

DEFAULTS = (("Triangulum", 3), ("Delphinus", 5), ("Big Dipper", 7))
constellations = sa.table(
    "constellations",
    sa.column("name", sa.String),
    sa.column("weight", sa.Integer),
    sa.column("created_by", sa.BigInteger),
    sa.column("created_at", sa.DateTime),
)


def upgrade() -> None:
    if op.get_bind().execute(sa.select(sa.func.count()).select_from(constellations)).scalar():
        return
    now = datetime.now(UTC).replace(tzinfo=None)
    op.bulk_insert(
        constellations,
        [{"name": n, "weight": w, "created_by": None, "created_at": now} for n, w in DEFAULTS],
    )


def downgrade() -> None:
    names = [name for name, _ in DEFAULTS]
    op.execute(
        constellations.delete().where(
            constellations.c.name.in_(names) & constellations.c.created_by.is_(None)
        )
    )
