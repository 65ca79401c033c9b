"""``escflow worker``: apply due deadlines and deliver the outbox until stopped.

It runs the flows' handlers from the service's own code (``--handlers MODULE:NAME``, or
the ``escflow.handlers`` entry points), POSTs webhooks, and writes every notification as a
JSON line to stdout or ``--actions-log``; it refuses to start when a flow calls a handler
nobody provides, unless told to log those calls instead (``--log-unhandled``).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import partial
from pathlib import Path

from escflow.cli import _logging
from escflow.cli._common import EXIT_OK, EXIT_PROBLEMS, Commands, load_running, say
from escflow.cli._tickets import _common
from escflow.runtime import Actions, Engine, WebhookSecrets, Worker, post_json
from escflow.runtime._handlers import GROUP, handlers_named, load_handlers
from escflow.runtime._lines import LineLog
from escflow.runtime._worker import MAX_BATCH, MAX_CONCURRENCY, freeze_startup
from escflow.spec._chars import visible_json
from escflow.store import open_store, shown_url, store_url

_STDOUT = Path("-")  # --actions-log -: standard output, as other tools read '-'
log = logging.getLogger("escflow.worker")


def register(commands: Commands) -> None:
    """Add ``worker``."""
    worker = commands.add_parser(
        "worker",
        help="apply due deadlines and deliver the outbox until stopped",
        description="Apply due deadlines and warnings on a timer of their own, and deliver"
        " queued actions several at a time, until SIGTERM or SIGINT: the escalations in hand"
        " are committed, deliveries in flight get 5 s, and what was not delivered stays in"
        " the outbox for the next run (with --once too). A store error (a locked file, a"
        " dropped connection) is said and retried after a growing pause; with --once it ends"
        " the run (exit 1). Each failed delivery is said on standard error (the first of a"
        " kind at once, then a line a minute).",
    )
    _common(worker)
    worker.add_argument("--once", action="store_true", help="one round, then exit (for cron)")
    worker.add_argument(
        "--batch",
        type=_whole(MAX_BATCH, "tickets"),
        default=500,
        help=f"tickets one transaction escalates, and actions a round delivers, 1 to"
        f" {MAX_BATCH:,}: the largest keeps the worker within 150 MB (default: 500)",
    )
    worker.add_argument(
        "--poll",
        type=_seconds(86_400),
        default=5.0,
        metavar="SECONDS",
        help="longest sleep between two looks at the store, at most a day (default: 5)",
    )
    worker.add_argument(
        "--concurrency",
        type=_whole(MAX_CONCURRENCY, "deliveries"),
        default=4,
        metavar="N",
        help=f"deliveries at once, 1 to {MAX_CONCURRENCY} (default: 4)",
    )
    worker.add_argument(
        "--timeout",
        type=_seconds(3_600),
        default=10.0,
        metavar="SECONDS",
        help="how long a webhook's endpoint may take to answer before the attempt fails and"
        " is retried later (default: 10)",
    )
    worker.add_argument(
        "--lease",
        type=_seconds(86_400),
        default=60.0,
        metavar="SECONDS",
        help="how long a claim keeps other workers away if this one stops without giving it"
        " back; renewed while it works (default: 60)",
    )
    worker.add_argument(
        "--handlers",
        action="append",
        default=[],
        type=_handlers_spec,
        metavar="MODULE:NAME",
        help="a mapping of handler names to callables in the service's code (looked for in"
        f" the current folder too); repeatable. Handlers also come from the '{GROUP}'"
        " entry points",
    )
    worker.add_argument(
        "--log-unhandled",
        action="store_true",
        help="write the calls of handlers nobody provides to the actions log, counted"
        " delivered (a demo, a dry run), instead of refusing to start",
    )
    worker.add_argument(
        "--actions-log",
        type=Path,
        metavar="FILE",
        help="append delivered notifications to FILE as JSON lines (default, or '-': stdout)",
    )
    worker.add_argument(
        "--webhook-secrets",
        type=Path,
        metavar="FILE",
        help="sign webhooks (Escflow-Signature, HMAC-SHA256): a line per endpoint,"
        " 'ADDRESS SECRET'; the file must be readable by its owner only",
    )
    worker.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="with --once and json: the round's counts as the last line of standard output,"
        ' {"round": {...}} (errors as JSON on standard error)',
    )
    _logging.add_options(worker)
    worker.set_defaults(run=_worker)


def _whole(maximum: int, what: str) -> Callable[[str], int]:
    def whole(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not 1 <= value <= maximum:
            raise argparse.ArgumentTypeError(
                f"{value} is out of range; give 1 to {maximum:,} {what}"
            )
        return value

    return whole


def _seconds(maximum: float) -> Callable[[str], float]:
    def seconds(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
        if not 0.001 <= value <= maximum:  # NaN fails this comparison too
            raise argparse.ArgumentTypeError(
                f"{text} is out of range; give 0.001 to {maximum:g} seconds"
            )
        return value

    return seconds


def _handlers_spec(text: str) -> str:
    module, sep, name = text.partition(":")
    if not sep or not module or not name:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not MODULE:NAME; e.g. myservice.handlers:HANDLERS, a mapping of"
            " handler names to callables"
        )
    return text


def _worker(args: argparse.Namespace) -> int:
    handler = _logging.configure(args)
    try:
        return _with_log(args)
    finally:
        _logging.unconfigure(handler)


def _with_log(args: argparse.Namespace) -> int:
    log_file = LineLog(sys.stdout)
    if args.actions_log is not None and args.actions_log != _STDOUT:
        try:
            log_file = LineLog.open(args.actions_log)
        except OSError as exc:
            say(
                f"escflow: cannot write the actions log {args.actions_log}:"
                f" {exc.strerror or exc}; give a file in a folder that exists",
                err=True,
            )
            return EXIT_PROBLEMS
    try:
        status = _work(args, log_file)
    finally:  # also when the work failed: its error is the one to tell
        written = _close_log(log_file)
    return status if written else EXIT_PROBLEMS


def _engine(args: argparse.Namespace, stream: LineLog) -> Engine | None:
    """The engine on ``--db`` with the service's handlers, or None after saying why not."""
    matrix = load_running([args.flows])
    provided, _ = load_handlers(args.handlers)
    missing = {
        name: at
        for name, at in handlers_named(matrix.flows.values()).items()
        if name not in provided
    }
    if missing and not args.log_unhandled:
        where = "; ".join(f"'{name}' ({', '.join(at)})" for name, at in missing.items())
        say(
            f"escflow: the flows call handlers nobody provides: {where}; give them with"
            " --handlers MODULE:NAME (a mapping of handler names to callables) or as"
            f" '{GROUP}' entry points, or --log-unhandled to write their calls to the"
            " actions log instead",
            err=True,
        )
        return None
    secrets = None if args.webhook_secrets is None else WebhookSecrets.read(args.webhook_secrets)
    logged = Actions.log(stream, **provided)  # whole lines, one at a time from each sender
    actions = Actions(
        notify=logged.notify,
        webhook=partial(post_json, timeout=args.timeout, secrets=secrets),
        handlers=logged.handlers if args.log_unhandled else provided,
    )
    store = open_store(args.db, create=False, lease=timedelta(seconds=args.lease))
    return Engine(matrix, store, actions=actions)


def _work(args: argparse.Namespace, log_file: LineLog) -> int:
    engine = _engine(args, log_file)
    if engine is None:
        return EXIT_PROBLEMS
    stop = threading.Event()
    worker = Worker(
        engine,
        batch=args.batch,
        poll=timedelta(seconds=args.poll),
        concurrency=args.concurrency,
        stop=stop,
    )
    url = shown_url(store_url(args.db))
    if args.once:
        # cron and systemd stop with SIGTERM too: the work in hand is finished and
        # recorded, or the next run would deliver it all again.
        with _stop_on_signals(stop):
            done = worker.run_once()
        log.info(
            "%d tickets moved (%d events), %d actions delivered, %d to retry, %d failed",
            done.tickets,
            done.events,
            done.delivered,
            done.retried,
            done.failed,
            extra={"db": url, **vars(done)},
        )
        if stop.is_set():
            log.info(
                "stopped by a signal; what was done is recorded, the rest waits for the next run"
            )
        if args.format == "json":  # after the actions log's lines, when it is stdout too
            print(visible_json({"round": {**vars(done), "stopped": stop.is_set()}}, indent=None))
        return EXIT_OK
    with _stop_on_signals(stop):
        # Said once the signals are handled: from here on SIGTERM stops it cleanly.
        log.info("started on %s; SIGTERM or Ctrl-C stops it", url, extra={"db": url})
        freeze_startup()
        worker.run()
    return EXIT_OK


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def request_stop(signum: int, frame: object) -> None:
        stop.set()

    for sig in previous:
        signal.signal(sig, request_stop)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _close_log(log_file: LineLog) -> bool:
    """Close the actions log; False, said, when a line could not be written to it."""
    try:
        log_file.close()
    except OSError as exc:
        log_file.failed = log_file.failed or exc
    if log_file.failed is None:
        return True
    failed = log_file.failed
    say(
        f"escflow: cannot write the actions log {log_file.name}: {failed.strerror or failed};"
        " the actions not written stay in the outbox, to be retried once the log can be"
        " written",
        err=True,
    )
    return False
