"""``escflow serve``: the HTTP API (and, with ``--worker``, the timers and deliveries)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from escflow.cli._common import EXIT_OK, Commands, say
from escflow.cli._tickets import _common
from escflow.errors import EscflowError, InputError
from escflow.runtime import Actions, post_json
from escflow.store import open_store, shown_url, store_url

if TYPE_CHECKING:
    from escflow.http import Reloaded, Tokens

TOKENS_VARIABLE = "ESCFLOW_TOKENS"  # escflow.http's; read here before it is imported


def register(commands: Commands) -> None:
    """Add ``serve``."""
    serve = commands.add_parser(
        "serve",
        help="the HTTP API on a store (with --worker, the timers and deliveries too)",
        description="Serve the HTTP API under /api/v1 until SIGTERM or SIGINT (the requests"
        " in hand finish first). The flows are read at the start and again only on"
        " POST /api/v1/flows/reload or SIGHUP.",
    )
    _common(serve)
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    serve.add_argument(
        "--port", type=int, default=8080, help="the port (default: 8080; 0: a free one)"
    )
    serve.add_argument(
        "--worker",
        action="store_true",
        help="apply deadlines and deliver the outbox in this process (one machine); without"
        " it, run 'escflow worker' beside the server",
    )
    serve.add_argument(
        "--tokens",
        type=Path,
        metavar="FILE",
        help=f"bearer tokens, a line each: NAME ROLE SECRET (default: ${TOKENS_VARIABLE});"
        " without any, the server listens on loopback only and needs none",
    )
    serve.add_argument(
        "--openapi",
        action="store_true",
        help="print the API's OpenAPI document (as schema/openapi.json keeps it) and exit",
    )
    serve.set_defaults(run=_serve)


def _tokens(args: argparse.Namespace) -> Tokens:
    from escflow.http import Tokens

    if args.tokens is not None:
        return Tokens.read(args.tokens)
    text = os.environ.get(TOKENS_VARIABLE, "")
    return Tokens.parse(text.replace(";", "\n"), f"${TOKENS_VARIABLE}")


def _serve(args: argparse.Namespace) -> int:
    try:  # the server's libraries are an extra: the rest of the command line works without
        from escflow.http import Service, bind, check_listening, create_app, openapi_text, run
    except ImportError as exc:
        raise InputError(
            f"escflow serve needs its extra ({exc}): pip install 'escflow[serve]'"
        ) from None
    if args.openapi:
        sys.stdout.write(openapi_text())
        return EXIT_OK
    if not 0 <= args.port <= 65535:
        raise InputError(f"--port {args.port} is no port; give 0 to 65535")
    tokens = _tokens(args)
    logged = Actions.log(sys.stdout)

    def actions() -> Actions:
        return Actions(notify=logged.notify, webhook=post_json, handlers=logged.handlers)

    store = open_store(args.db)  # first: a wrong --db is said before anything else
    try:
        check_listening(args.host, tokens)
        service = Service(store, [args.flows], make_actions=actions, worker=args.worker)
    except EscflowError:
        store.close()
        raise
    try:
        sock = bind(args.host, args.port)
    except OSError as exc:
        store.close()
        raise InputError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None
    host, port = sock.getsockname()[:2]
    where = f"[{host}]" if ":" in host else host

    def started() -> None:
        say(
            f"escflow: serving {len(service.loaded.versions)} flows on http://{where}:{port}"
            f" ({shown_url(store_url(args.db))}{', with the worker' if args.worker else ''})",
            err=True,
            flush=True,
        )

    def hangup() -> None:
        try:
            done = service.reload()
        except EscflowError as exc:
            say(f"escflow: reload refused, the flows running go on: {exc}", err=True, flush=True)
            return
        say(f"escflow: flows reloaded: {_changes(done)}", err=True, flush=True)

    service.start()
    try:
        run(create_app(service, tokens), sock, on_hangup=hangup, on_started=started)
    finally:
        service.stop()
        sock.close()
    say("escflow: stopped", err=True, flush=True)
    return EXIT_OK


def _changes(done: Reloaded) -> str:
    parts = [
        f"{label} {', '.join(names)}"
        for label, names in (
            ("added", done.added),
            ("changed", done.changed),
            ("removed", done.removed),
        )
        if names
    ]
    return "; ".join(parts) or "no flow changed"
