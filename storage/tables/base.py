"""The one `metadata` every table module registers its tables in, and the column helpers."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, MetaData

from storage.types import Id, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    }
)


def id_column() -> Column[int]:
    return Column("id", Id, primary_key=True, autoincrement=True)


def fk_column(
    name: str, target: str, *, ondelete: str = "CASCADE", nullable: bool = False
) -> Column[int]:
    """A foreign key column; CASCADE by default, so deleting a user needs nothing else."""
    return Column(name, Id, ForeignKey(target, ondelete=ondelete), nullable=nullable)


def created_column() -> Column[object]:
    return Column("created_at", UTCDateTime(), nullable=False)
