"""Commands on the store: ``db upgrade``."""

from __future__ import annotations

import argparse

from escflow.cli._common import EXIT_OK, Commands, add_format, say, say_json
from escflow.store import shown_url, store_url, upgrade_store


def add_db(parser: argparse.ArgumentParser) -> None:
    """The ``--db URL`` option every store command takes."""
    parser.add_argument(
        "--db",
        metavar="URL",
        help="sqlite:///path/escflow.db (default: $ESCFLOW_DB, else sqlite:///escflow.db)",
    )


def register(commands: Commands) -> None:
    """Add ``db upgrade``."""
    db = commands.add_parser("db", help="the ticket database")
    actions = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = actions.add_parser("upgrade", help="create the schema or apply new migrations")
    add_db(upgrade)
    add_format(upgrade)
    upgrade.set_defaults(run=_upgrade)


def _upgrade(args: argparse.Namespace) -> int:
    url = store_url(args.db)
    before, after, applied = upgrade_store(url)
    url = shown_url(url)
    if args.format == "json":
        say_json({"db": url, "schema_before": before, "schema": after, "applied": applied})
    elif applied:
        say(f"{url}: schema {before} -> {after} ({', '.join(applied)})")
    else:
        say(f"{url}: schema {after} is current")
    return EXIT_OK
