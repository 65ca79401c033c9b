"""A store's password is never shown: not in messages, logs or errors, in any of the forms
an address takes, by any command that takes ``--db`` (a real server; every command as a
process for a password in the URL, through the command line's entry point for the other
forms, each of which also once as a process through ``$ESCFLOW_DB``)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from escflow.cli import main, parser
from escflow.errors import StoreError
from escflow.store import shown_url
from escflow.store._postgres import PostgresStore
from escflow.store._redact import scrub
from tests.conftest import FLOWS, escflow


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:pw@h:5/db?sslmode=require", "postgresql://u@h:5/db?sslmode=require"),
        ("postgresql://u@h/db?password=secret&x=1", "postgresql://u@h/db?x=1"),
        ("postgresql://u@h/db?PassWord=secret", "postgresql://u@h/db"),
        ("postgresql://u@h/db?pass%77ord=secret", "postgresql://u@h/db"),  # %77 is 'w'
        ("postgresql://u:p@ss@h/db", "postgresql://u@h/db"),
        ("postgresql://u:pa/ss@h/db", "postgresql://u@h/db"),
        ("postgresql://u:50%pw@h/db", "postgresql://u@h/db"),
        ("postgres://u:pw@[::1/db", "postgres://u@[::1/db"),
        ("postgresql://h/db?options=a@b", "postgresql://h/db?options=a@b"),
        ("host=h port=5 password=secret dbname=d", "host=h port=5 dbname=d"),
        ("host=h password='s e\\'cr et' dbname=d", "host=h dbname=d"),
        ("host = h  password = 'unterminated", "host = h"),
        ("sqlite:///path/escflow.db", "sqlite:///path/escflow.db"),
    ],
)
def test_every_form_of_address_is_shown_without_its_password(url: str, shown: str) -> None:
    assert shown_url(url) == shown


passwords = st.text(
    st.characters(codec="utf-8", exclude_characters="\x00"), min_size=4, max_size=20
).filter(lambda p: p.strip() == p and not p.isspace())


def libpq_quoted(value: str) -> str:
    """``value`` as a single-quoted libpq value (PostgreSQL's documentation: a backslash
    escapes a quote or a backslash)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


FORMS: dict[str, Callable[[str], str]] = {
    "user part": lambda pw: f"postgresql://ana:{pw}@db.example:5432/tickets",
    "encoded": lambda pw: f"postgresql://ana:{quote(pw, safe='')}@db.example:5432/tickets",
    "parameter": lambda pw: f"postgresql://ana@db.example/tickets?password={quote(pw)}&x=1",
    "key=value": lambda pw: f"host=db.example user=ana password={libpq_quoted(pw)} dbname=t",
}


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(FORMS)), passwords)
def test_no_password_survives_being_shown(form: str, password: str) -> None:
    url = FORMS[form](password)
    rest = url.replace(password, "").replace(quote(password, safe=""), "")
    assume(password not in rest and quote(password, safe="") not in rest)
    # A password that is part of the rest of the address ('post' of 'postgresql') is
    # shown there whatever the redaction does: such a case says nothing.
    skeleton = FORMS[form]("")
    assume(password not in skeleton and quote(password, safe="") not in skeleton)
    shown = shown_url(url)
    assert password not in shown
    assert quote(password, safe="") not in shown
    # what a library quotes back in its error, as written or decoded
    said = scrub(f"bad token: {password!r} in {url}", url)
    assert password not in said
    assert quote(password, safe="") not in said


# --- psycopg's own errors --------------------------------------------------------------

SECRET = "Zq9Secret"


@pytest.mark.parametrize(
    "dsn",
    [
        f"postgresql://u:{SECRET}@127.0.0.1:notaport/db",
        f"postgresql://u:{SECRET}@127.0.0.1:5432/db?bogus=1",
        f"postgresql://u:{SECRET}@127.0.0.1:5432/db?sslmode=nonsense",
        f"postgresql://u:{SECRET}@[::1/db",
        f"postgresql://u:{SECRET}@127.0.0.1:5432/db?options=%zz",
        f"postgresql://u:{SECRET}/x@127.0.0.1:5432/db",
        f"postgresql://u@127.0.0.1:5432/db?password={SECRET}&sslmode=bad",
        f"postgresql://u:Zq9%S{SECRET}@127.0.0.1:5432/db",
        f"postgresql://u:Zq9@{SECRET}@127.0.0.1:5432/db",
        f"host=127.0.0.1 port=nope user=u password={SECRET} dbname=db",
        f"host=127.0.0.1 user=u password='{SECRET} dbname=db",
    ],
)
def test_errors_from_psycopg_never_quote_the_password(pg_dsn: str, dsn: str) -> None:
    with pytest.raises(StoreError) as caught:
        PostgresStore(dsn, connect_timeout=2)
    assert "Secret" not in str(caught.value)
    assert "Zq9" not in str(caught.value)


# --- every command that takes --db, as a process ---------------------------------------


def db_commands() -> set[str]:
    """The commands that take ``--db``, read from the command line itself."""
    found: set[str] = set()

    def walk(command: argparse.ArgumentParser, name: str) -> None:
        if any("--db" in action.option_strings for action in command._actions):
            found.add(name)
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub, subparser in action.choices.items():
                    walk(subparser, f"{name} {sub}".strip())

    walk(parser(), "")
    return found


def commands(out: Path) -> list[list[str]]:
    """A run of every --db command on ticket T-1, in an order each can follow."""
    flows = ["--flows", str(FLOWS)]
    return [
        ["ticket", "open", "complaint", "--id", "T-1", *flows],
        ["ticket", "fire", "T-1", "asks-for-manager", *flows],
        ["ticket", "ack", "T-1", *flows],
        ["ticket", "pause", "T-1", *flows],
        ["ticket", "resume", "T-1", *flows],
        ["ticket", "attach", "T-1", "note", "called back", *flows],
        ["ticket", "show", "T-1", *flows],
        ["ticket", "history", "T-1", *flows],
        ["ticket", "outbox", "T-1", *flows],
        ["ticket", "list", *flows],
        ["render", "--ticket", "T-1", "-o", str(out), "--format", "dot"],
        ["render", "--ticket", "NOPE"],  # its message names the store
        ["ticket", "resolve", "T-1", *flows],
        ["ticket", "reopen", "T-1", *flows],
        ["worker", "--once", "--log-unhandled", *flows],
        ["outbox", "list"],
        ["outbox", "retry", "--all-failed"],
        ["outbox", "discard", "--action", "T-1:9:0"],  # no such action: the message names it
        ["demo-history", "--start", "2026-11-02T00:00Z", "--days", "0", *flows],
        ["report", "--until", "2030-01-01T00:00Z"],
        ["report", "--at", "2030-01-01T00:00Z"],
        ["db", "upgrade"],
        # It opens the store, then refuses to listen beyond loopback without tokens, so
        # that it ends (serving, it names the store as every command does: shown_url).
        ["serve", "--host", "0.0.0.0", *flows],
    ]


def test_the_table_holds_every_command_that_takes_db(tmp_path: Path) -> None:
    named = {
        " ".join(c[:2]) if c[0] in ("ticket", "db", "outbox") else c[0] for c in commands(tmp_path)
    }
    assert named == db_commands()


def with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    user, host = parts.netloc.rsplit("@", 1)
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{host}"))


Run = tuple[list[str], str, dict[str, str]]  # the arguments, --db (if any), environment


def run_all(runs: list[Run], *, together: bool = True) -> list[tuple[str, str]]:
    """Run the commands (side by side, or one after the other); each one's name and its
    whole output."""

    def one(run: Run) -> tuple[str, str]:
        args, url, environ = run
        done = escflow(*args, *(["--db", url] if url else []), environ=environ)
        return " ".join(args[:3]), done.stdout + done.stderr

    if not together:
        return [one(run) for run in runs]
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(one, runs))


def in_process(
    runs: list[tuple[list[str], str]], capsys: pytest.CaptureFixture[str]
) -> list[tuple[str, str]]:
    """Run the commands (arguments, --db) one after the other in this process, through the
    command line's own entry point; each one's name and its whole output."""
    said = []
    for args, url in runs:
        main([*args, "--db", url])
        out, err = capsys.readouterr()
        said.append((" ".join(args[:3]), out + err))
    return said


def assert_hidden(outputs: list[tuple[str, str]], leaks: list[str]) -> None:
    for command, said in outputs:
        assert not any(leak in said for leak in leaks), (command, said)


def test_no_command_prints_the_password_of_its_url(
    pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = with_password(pg_url, "S3cretPW")
    shown = shown_url(url)
    leaks = ["S3cret", "cretPW"]
    steps = commands(tmp_path / "out")
    # First on the empty schema: every command but those that make a store (open, upgrade,
    # serve, demo-history) says where it looked.
    makes = ("open", "upgrade", "--host", "demo-history")
    empty = in_process(
        [(args, url) for args in steps if not {args[0], args[1]} & set(makes)], capsys
    )
    assert_hidden(empty, leaks)
    assert all(f"no escflow database at {shown};" in said for _, said in empty), empty
    done = run_all([(args, url, {}) for args in steps], together=False)  # each needs the last
    assert_hidden(done, leaks)
    assert f"no ticket 'NOPE' in {shown}" in dict(done)["render --ticket NOPE"]
    from_env = run_all([(["render", "--ticket", "NOPE"], "", {"ESCFLOW_DB": url})])
    assert_hidden(from_env, leaks)
    assert f"no ticket 'NOPE' in {shown}" in from_env[0][1]


@pytest.mark.parametrize(
    ("password", "leaks", "fix"),
    [("S3cr%tPW", ["S3cr", "%tPW"], "%25"), ("S3c@retPW", ["S3c@", "retPW"], "%40")],
    ids=["bare-percent", "at-sign"],
)
def test_a_password_libpq_would_misread_is_refused_unquoted_by_every_command(
    pg_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    password: str,
    leaks: list[str],
    fix: str,
) -> None:
    url = with_password(pg_url, password)
    shown = shown_url(url)
    done = in_process([(args, url) for args in commands(tmp_path / "out")], capsys)
    done += run_all([(["render", "--ticket", "NOPE"], "", {"ESCFLOW_DB": url})])
    assert_hidden(done, leaks)
    for command, said in done:
        assert f"escflow: the URL {shown} has" in said, command
        assert f"as {fix}" in said, command


def test_a_password_in_the_query_or_a_key_value_string_is_never_printed(
    pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    query = f"{pg_url}&password=S3cretPW"
    schema = pg_url.rsplit("search_path%3D", 1)[1]
    keywords = (
        "host=127.0.0.1 port=5432 dbname=test user=postgres password='S3cret PW'"
        f" options='-c search_path={schema}'"
    )
    steps = commands(tmp_path / "out")
    done = in_process([(args, query) for args in steps], capsys)
    keyed = in_process([(args, keywords) for args in steps], capsys)
    from_env = run_all(
        [(["ticket", "show", "NOPE", "--flows", str(FLOWS)], "", {"ESCFLOW_DB": u})
         for u in (query, keywords)]
    )  # fmt: skip
    assert_hidden([*done, *keyed, *from_env], ["S3cret"])
    assert f"no ticket 'NOPE' in {shown_url(query)}" in dict(done)["render --ticket NOPE"]
    assert "no ticket 'NOPE'" in from_env[0][1]
    assert all("is a libpq key=value string" in said for _, said in [*keyed, from_env[1]])
