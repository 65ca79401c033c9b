"""What the stores share about leases: how a claim taken over from another store is said.

A lease that ran out while its rows were still due means a worker stopped (a crash, a
kill, a machine gone) or stalled beyond its lease: an operator wants to know, so each
store says it on the ``escflow.store`` logger when it claims such rows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

log = logging.getLogger("escflow.store")

_SHOWN = 5  # keys or ids named in the line; the rest are counted


def say_taken_over(
    where: str, what: str, claimed: Iterable[tuple[str, str | None]], me: str
) -> None:
    """Say which of the ``claimed`` rows (their key or id, and who held them before) this
    store (``me``) took over from another one whose lease had run out; ``what`` names one
    row (``action``, ``ticket``)."""
    by: dict[str, list[str]] = {}
    for key, previous in claimed:
        if previous is not None and previous != me:
            by.setdefault(previous, []).append(key)
    for previous, keys in by.items():
        more = len(keys) - _SHOWN
        shown = ", ".join(keys[:_SHOWN]) + (f" and {more} more" if more > 0 else "")
        log.warning(
            "%s: took over %d %s whose lease from %s had run out (its worker stopped or"
            " stalled): %s",
            where,
            len(keys),
            what if len(keys) == 1 else f"{what}s",
            previous,
            shown,
            extra={"taken_over": len(keys), "from_claimer": previous},
        )
