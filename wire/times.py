"""Timestamps as the two APIs write them."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(moment: datetime | None) -> str | None:
    """StudySync: milliseconds, `Z` for UTC."""
    return (
        None if moment is None else moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def iso_seconds(moment: datetime | None) -> str | None:
    """Luminary: whole seconds, naive UTC plus `Z`."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"
