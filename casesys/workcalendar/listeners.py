"""Who is told when the working-day calendar changes.

Due dates counted in working days depend on the calendar, but the clocks belong to the workflows,
which sit above the calendar. So the calendar never imports them: a package that keeps clocks
registers a ``ClockOwner`` at start-up (casesys.workflows does, in its ``init_app``), and loading
a year or editing a day asks every owner to recompute (casesys.workcalendar.upkeep). Owners are
kept per application, so an app built without them changes the calendar and recomputes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from flask import Flask, current_app

# What a recomputation reports; each is a count of open clocks (see upkeep.YearChange).
COUNTS = ("clocks_recomputed", "clocks_changed", "due_dates_moved", "clocks_skipped")
_KEY = "casesys.calendar_clock_owners"


@dataclass(frozen=True)
class ClockOwner:
    """``recompute(actor, year, reason)`` recomputes (and audits) the open clocks a change of
    ``year`` may move and returns counts by the names in ``COUNTS``; ``unconfirmed()`` counts the
    open clocks marked "calendar unconfirmed" (due beyond the last loaded year)."""

    recompute: Callable[[object, int, str], Mapping[str, int]]
    unconfirmed: Callable[[], int]


def register_clock_owner(app: Flask, name: str, owner: ClockOwner) -> None:
    """Register (or replace: ``init_app`` may run again) the owner called ``name`` for ``app``."""
    app.extensions.setdefault(_KEY, {})[name] = owner


def _owners() -> Iterable[ClockOwner]:
    return current_app.extensions.get(_KEY, {}).values()


def recompute_clocks(actor, year: int, *, reason: str) -> dict[str, int]:
    """Ask every owner to recompute after ``year`` changed; the counts of all of them, added up."""
    counts = dict.fromkeys(COUNTS, 0)
    for owner in _owners():
        for key, value in owner.recompute(actor, year, reason).items():
            counts[key] += value
    return counts


def unconfirmed_clocks() -> int:
    """Open clocks whose due date waits for a year not loaded yet, across every owner."""
    return sum(owner.unconfirmed() for owner in _owners())
