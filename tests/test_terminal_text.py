"""Text that reaches a terminal cannot act on it: ids refuse the characters that hide or
turn text around, every printer shows control characters as escapes, and JSON output
stays the same JSON, exactly.

The characters are listed here as the Unicode standard names them, not taken from
escflow's code.
"""

from __future__ import annotations

import json
import sqlite3
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escflow import load_matrix
from escflow.errors import RuntimeFlowError
from escflow.records import Action
from escflow.runtime import Actions, Engine
from escflow.spec._chars import visible, visible_json
from escflow.timing import ManualClock
from tests.conftest import FLOW, FLOWS, MATRIX, escflow

BIDI = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
CONTROLS = [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))]
REFUSED_IN_IDS = [*BIDI, *ZERO_WIDTH, *CONTROLS]


def acts_on_a_terminal(char: str) -> bool:
    """A control character (C0, DEL, C1), a bidirectional control, a line or paragraph
    separator, or half a surrogate pair: what a printed line must not hold raw."""
    return unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") or char in BIDI


def noncharacter(char: str) -> bool:
    """One of Unicode's 66 noncharacters (U+FDD0-U+FDEF, the last two of every plane)."""
    return 0xFDD0 <= ord(char) <= 0xFDEF or ord(char) & 0xFFFE == 0xFFFE


any_text = st.text(max_size=40)
hostile_text = st.lists(
    st.sampled_from([*REFUSED_IN_IDS, "\x1b[31m", "\x1b]0;title\x07", "\u2028", "\ud83d", "é"])
    | st.text(max_size=4),
    max_size=8,
).map("".join)


@settings(max_examples=1000, deadline=None)
@given(hostile_text | any_text)
def test_shown_text_holds_nothing_a_terminal_acts_on(text: str) -> None:
    shown = visible(text)
    assert not any(acts_on_a_terminal(c) for c in shown), ascii(shown)
    assert visible(shown) == shown  # shown once: showing it again changes nothing
    if not any(acts_on_a_terminal(c) or noncharacter(c) for c in text):
        assert shown == text  # nothing to show otherwise: as written


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | hostile_text | any_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile_text, inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=500, deadline=None)
@given(json_values)
def test_json_output_is_the_same_json_and_safe_to_print(data: Any) -> None:
    text = visible_json(data)
    assert json.loads(text) == data
    assert not any(acts_on_a_terminal(c) for c in text.replace("\n", "")), ascii(text)


# --- ids, actors and keys refuse what hides or turns text around ---------------------


@pytest.fixture(scope="module")
def engine() -> Engine:
    matrix = load_matrix(FLOWS)
    clock = ManualClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    kept: list[Action] = []  # nothing is delivered here; the calls only queue
    handlers = dict.fromkeys(matrix.handler_names, kept.append)
    made = Engine(matrix, clock=clock, actions=Actions(notify=kept.append, handlers=handlers))
    made.open("complaint", priority="medium", ticket_id="T-1")
    return made


around = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=6)
with_a_refused_char = st.tuples(
    around, st.sampled_from([c for c in REFUSED_IN_IDS if c != "\x00"]), around
).map(lambda parts: f"a{parts[0]}{parts[1]}{parts[2]}z")


@settings(max_examples=300, deadline=None)
@given(with_a_refused_char)
def test_a_ticket_id_with_a_hidden_character_is_refused(engine: Engine, ticket_id: str) -> None:
    with pytest.raises(RuntimeFlowError, match=r"the ticket id .* holds U\+[0-9A-F]{4}"):
        engine.open("complaint", priority="medium", ticket_id=ticket_id)
    assert [t.id for t in engine.tickets()] == ["T-1"]


@settings(max_examples=300, deadline=None)
@given(with_a_refused_char)
def test_an_actor_or_a_key_with_a_hidden_character_is_refused(engine: Engine, text: str) -> None:
    events = len(engine.history("T-1"))
    with pytest.raises(RuntimeFlowError, match=r"the actor .* holds U\+[0-9A-F]{4}"):
        engine.acknowledge("T-1", actor=text)
    with pytest.raises(RuntimeFlowError, match=r"the idempotency key .* holds U\+[0-9A-F]{4}"):
        engine.acknowledge("T-1", actor="ana", key=text)
    with pytest.raises(RuntimeFlowError, match=r"the idempotency key .* holds U\+"):
        engine.open("complaint", priority="medium", ticket_id="T-2", key=text)
    assert len(engine.history("T-1")) == events
    assert engine.store.get("T-2") is None


@pytest.mark.parametrize("char", ["\u202e", "\u200b", "\ufeff", "\u2066", "\u061c", "\x1b"])
def test_the_command_line_refuses_such_an_id_and_shows_it_escaped(
    tmp_path: Path, char: str
) -> None:
    done = escflow(
        "ticket", "open", "complaint", "--id", f"T{char}1", "--flows", str(FLOWS),
        "--db", f"sqlite:///{tmp_path / 't.db'}",
    )  # fmt: skip
    assert done.returncode == 1
    assert char not in done.stderr
    assert f"\\u{ord(char):04x}" in done.stderr or f"\\x{ord(char):02x}" in done.stderr


# --- what the printers show -------------------------------------------------------------

NOTE = "\x1b]0;pwned\x07 call \u202eevil\u2066"
REASON = "\x1b[2J\x9b31m wants a manager"
ACTOR = "\x1b[8mmallory\u202e"  # as an older escflow (or another program) stored it
ERROR = "HTTP 500: \x1b[31mboom\x9b"
MONDAY, MONDAY_LATER = "2026-11-23T10:00+01:00", "2026-11-23T10:05+01:00"


def raw(text: str) -> bool:
    return any(acts_on_a_terminal(c) for c in text.replace("\n", ""))


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A store with one ticket whose notes, reason, actor and delivery error hold escapes."""
    path = tmp_path_factory.mktemp("db") / "t.db"
    url = f"sqlite:///{path}"
    flows = ["--flows", str(FLOWS), "--db", url]
    # At set times inside the rota's hours: at another hour the ticket is first held.
    opened = escflow("ticket", "open", "complaint", "--id", "T-1", "--at", MONDAY, *flows)
    assert opened.returncode == 0, opened.stderr
    fired = escflow(
        "ticket", "fire", "T-1", "asks-for-manager", "--note", NOTE, "--reason", REASON,
        "--at", MONDAY_LATER, *flows,
    )  # fmt: skip
    assert fired.returncode == 0, ascii(fired.stdout)
    assert not raw(fired.stdout), ascii(fired.stdout)
    # Paused, so that the reading verbs, which catch up to now, leave it where it is.
    paused = escflow("ticket", "pause", "T-1", "--at", MONDAY_LATER, *flows)
    assert paused.returncode == 0, paused.stderr
    with sqlite3.connect(path) as db:
        db.execute("UPDATE events SET body = json_set(body, '$.actor', ?) WHERE seq = 2", (ACTOR,))
        db.execute("UPDATE outbox SET attempts = 1, last_error = ?", (ERROR,))
        db.execute("UPDATE tickets SET assignee = ?", (ACTOR,))
    return url


@pytest.mark.parametrize("verb", ["history", "show", "outbox", "list"])
def test_ticket_commands_show_escapes_not_raw_control_characters(database: str, verb: str) -> None:
    args = ["ticket", verb, *(["T-1"] if verb != "list" else []), "--flows", str(FLOWS)]
    text = escflow(*args, "--db", database)
    assert text.returncode == 0, ascii(text.stdout)
    assert not raw(text.stdout + text.stderr), ascii(text.stdout)
    shown = {
        "history": [visible(NOTE), visible(REASON), visible(ACTOR)],
        "show": [visible(ACTOR)],
        "outbox": [visible(ERROR)],
        "list": [visible(ACTOR)],
    }
    assert all(s in text.stdout for s in shown[verb]), text.stdout
    as_json = escflow(*args, "--db", database, "--format", "json")
    assert as_json.returncode == 0
    assert not raw(as_json.stdout)
    found = json.loads(as_json.stdout)
    if verb == "history":
        assert (found[1]["note"], found[1]["reason"], found[1]["actor"]) == (NOTE, REASON, ACTOR)
    elif verb == "outbox":
        assert {a["last_error"] for a in found} == {ERROR}
    elif verb == "show":
        assert found["assignee"] == ACTOR
    else:
        assert found[0]["assignee"] == ACTOR


def test_the_worker_log_is_the_same_json_safe_to_print(database: str) -> None:
    done = escflow("worker", "--once", "--log-unhandled", "--flows", str(FLOWS), "--db", database)
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines
    assert not raw(done.stdout)
    assert REASON in [line.get("reason") for line in lines]


def test_an_error_quotes_a_ticket_id_escaped(database: str) -> None:
    done = escflow("ticket", "show", "\x1b]0;x\x07", "--flows", str(FLOWS), "--db", database)
    assert done.returncode == 1
    assert not raw(done.stderr)
    assert "no ticket '\\x1b]0;x\\x07'" in done.stderr


def test_simulate_shows_a_scripted_event_escaped() -> None:
    done = escflow("simulate", "complaint", str(FLOWS), "--event", "+10m \x1b[31mboom\u202e")
    assert done.returncode == 1, ascii(done.stderr)
    assert not raw(done.stderr), ascii(done.stderr)
    assert "no trigger '\\x1b[31mboom\\u202e'" in done.stderr


def test_tables_and_validate_show_definitions_escaped(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "matrix.yaml").write_text(MATRIX, encoding="utf-8")
    (flows / "f.yaml").write_text(FLOW.replace("name: F", "name: F\u202eevil"), encoding="utf-8")
    (flows / "bad\x1b[31m.yaml").write_text("escflow: [\n", encoding="utf-8")
    checked = escflow("validate", str(flows))
    assert checked.returncode == 1
    assert not raw(checked.stdout)
    assert "bad\\x1b[31m.yaml" in checked.stdout
    (flows / "bad\x1b[31m.yaml").unlink()
    for args in (["matrix", str(flows)], ["simulate", "f", str(flows), "--until", "+1h"]):
        done = escflow(*args)
        assert done.returncode == 0, ascii(done.stdout)
        assert not raw(done.stdout), ascii(done.stdout)
        assert "F\\u202eevil" in done.stdout.replace("\n", "")
