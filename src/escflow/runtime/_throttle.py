"""Saying what keeps happening without saying it a thousand times.

The first problem of each kind is said at once; the ones like it that follow are counted,
and said as one line a minute (how many, in the last minute). A kind quiet for a whole
minute is forgotten: the next one is said at once again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass
class _Kind:
    since: float  # when its minute began (by the monotonic clock)
    more: int  # how many were not said since then
    summary: str  # what they are, for the minute's line: "deliveries of ... failed ..."


class Throttle:
    """Says problems on ``logger``: the first of each kind at once, then a line a minute.

    ``suffix`` is added to every line (the worker's counts so far); ``monotonic`` tells
    the time (seconds, only ever growing).
    """

    def __init__(
        self,
        logger: logging.Logger,
        *,
        every: float = 60.0,
        suffix: Callable[[], str] = lambda: "",
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = logger
        self._every = every
        self._suffix = suffix
        self._monotonic = monotonic
        self._kinds: dict[Hashable, _Kind] = {}

    def say(
        self,
        kind: Hashable,
        message: str,
        *,
        summary: str,
        level: int = logging.WARNING,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        """Say ``message`` if it is the first of its ``kind`` this minute; count it if not.
        ``summary`` says what the counted ones are, for the minute's line."""
        found = self._kinds.get(kind)
        if found is not None:
            found.more += 1
            return
        self._kinds[kind] = _Kind(self._monotonic(), 0, summary)
        self._log.log(level, "%s%s", message, self._suffix(), extra=dict(extra or {}))

    def flush(self, *, level: int = logging.WARNING, final: bool = False) -> None:
        """Say, for each kind whose minute has passed (every kind, when ``final``: the work
        ends), how many followed the first; forget the kinds quiet for the whole minute."""
        now = self._monotonic()
        for kind, found in list(self._kinds.items()):
            if now - found.since < self._every and not (final and found.more):
                continue
            if not found.more:
                del self._kinds[kind]
                continue
            self._log.log(
                level,
                "%d more %s in the last %.0f s%s",
                found.more,
                found.summary,
                now - found.since,
                self._suffix(),
                extra={"repeated": found.more},
            )
            found.since, found.more = now, 0
