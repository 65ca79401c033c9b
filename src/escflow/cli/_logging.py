"""What long-running commands log, and how: ``--log-level`` and ``--log-format``.

escflow logs through the standard ``logging`` module, one logger per part
(``escflow.worker``, ``escflow.store``, ...), and sets no handler itself: a service that
embeds escflow routes those records as it routes its own. A command that runs for long
(``worker``; ``serve`` will too) calls :func:`add_options` and :func:`configure`: its
records go to standard error, one line each, as text or as JSON objects.

The messages never hold a password: the stores name their database by
``escflow.store.shown_url``, and a webhook by its address without a user part or query.
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import UTC, datetime
from typing import IO, Any

from escflow.spec._chars import visible, visible_json

LEVELS = ("debug", "info", "warning", "error")
FORMATS = ("text", "json")
_ROOT = "escflow"
_aside: dict[logging.Handler, list[logging.Handler]] = {}
# Every attribute a LogRecord has of its own: the others came as ``extra`` fields.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


def add_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--log-level`` and ``--log-format`` to a command."""
    parser.add_argument(
        "--log-level",
        choices=LEVELS,
        default="info",
        help="the least severe records logged on standard error (default: info)",
    )
    parser.add_argument(
        "--log-format",
        choices=FORMATS,
        default="text",
        help="one line of text per record, or one JSON object (default: text)",
    )


def configure(args: argparse.Namespace, stream: IO[str] | None = None) -> logging.Handler:
    """Send escflow's records at ``args.log_level`` and above to ``stream`` (standard error)
    in ``args.log_format``; returns the handler, for :func:`unconfigure`."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if args.log_format == "json" else TextFormatter())
    logger = logging.getLogger(_ROOT)
    # This handler says everything, in the form asked: the command line's own short
    # warnings (what every command prints) stand aside until it is taken back.
    _aside[handler] = list(logger.handlers)
    for other in _aside[handler]:
        logger.removeHandler(other)
    logger.addHandler(handler)
    logger.setLevel(args.log_level.upper())
    logger.propagate = False  # a command's records go where it says, once
    return handler


def unconfigure(handler: logging.Handler) -> None:
    """Take back what :func:`configure` did (a command run in-process, as the tests do)."""
    logger = logging.getLogger(_ROOT)
    logger.removeHandler(handler)
    for other in _aside.pop(handler, []):
        logger.addHandler(other)
    logger.setLevel(logging.NOTSET)
    logger.propagate = True
    handler.close()


def _instant(record: logging.LogRecord) -> str:
    """When the record was made, in UTC to the millisecond: ``2026-11-23T09:00:00.123Z``."""
    made = datetime.fromtimestamp(record.created, UTC)
    return made.strftime("%Y-%m-%dT%H:%M:%S.") + f"{made.microsecond // 1000:03d}Z"


class TextFormatter(logging.Formatter):
    """``2026-11-23T09:00:00.123Z WARNING escflow.worker: cannot deliver ...``."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_instant(record)} {record.levelname} {record.name}: {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return visible(line)  # a ticket id or a reason in it never acts on the terminal


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ``time``, ``level``, ``logger``, ``message``, then the
    record's own fields (counts, an action's key, ...)."""

    def format(self, record: logging.LogRecord) -> str:
        shown: dict[str, Any] = {
            "time": _instant(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD and name not in shown:
                shown[name] = value
        if record.exc_info:
            shown["error"] = self.formatException(record.exc_info)
        return visible_json(shown, indent=None, default=str)
