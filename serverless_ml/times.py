"""How a person is shown a time: one format for every page, app and message, and ages in words."""

from __future__ import annotations

from datetime import UTC, datetime

#: Minutes, in UTC, said so (the records keep full ISO timestamps).
SHOWN_TIME = "%Y-%m-%d %H:%M UTC"


def shown(moment: datetime) -> str:
    """`moment` as people read it here; a naive datetime is taken to be UTC already."""
    return (moment.astimezone(UTC) if moment.tzinfo else moment).strftime(SHOWN_TIME)


def shown_time(stamp: str | None) -> str | None:
    """An ISO timestamp from a status or validation record as the page shows it; None stays None."""
    return stamp if not stamp else shown(datetime.fromisoformat(stamp))


def age(seconds: float) -> str:
    """A duration as a person says it: minutes, hours, or days."""
    hours = seconds / 3600
    value, unit = (hours * 60, "minute") if hours < 1 else (hours, "hour") if hours < 48 else (hours / 24, "day")
    count = round(value)
    return f"{count} {unit}" + ("" if count == 1 else "s")
