"""Signed webhooks: what a receiver checks (``Escflow-Signature``), computed here by hand
with ``hmac`` from the scheme's definition, on a real HTTP server and from the worker."""

from __future__ import annotations

import calendar
import hashlib
import hmac
import json
import re
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest

from escflow import load_matrix
from escflow.errors import BadSignature, InputError
from escflow.runtime import (
    SIGNATURE_HEADER,
    Actions,
    Engine,
    WebhookSecrets,
    post_json,
    sign_webhook,
    verify_webhook,
)
from escflow.store import MemoryStore
from escflow.timing import ManualClock
from tests.conftest import Write, escflow
from tests.runtime.conftest import Inbox, Receiver
from tests.runtime.test_outbox import WEBHOOK_FLOW, WEBHOOK_MATRIX

SECRET = b"0123456789abcdef-secret"
AT = datetime(2026, 11, 23, 9, 0, 5, tzinfo=UTC)
AT_SECONDS = calendar.timegm((2026, 11, 23, 9, 0, 5, 0, 0, 0))


def by_hand(secret: bytes, seconds: int, body: bytes) -> str:
    """The header as the scheme defines it: HMAC-SHA256 over '<t>.' and the body."""
    digest = hmac.new(secret, str(seconds).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={seconds},v1={digest}"


def test_the_signature_is_hmac_sha256_over_the_time_and_the_body() -> None:
    body = b'{"ticket": "T-1"}'
    assert sign_webhook(SECRET, body, AT) == by_hand(SECRET, AT_SECONDS, body)


def test_a_receiver_accepts_what_was_signed_within_the_tolerance() -> None:
    body = '{"message": "Ticket T-1 — escalated"}'.encode()
    header = by_hand(SECRET, AT_SECONDS, body)
    verify_webhook(SECRET, header, body, now=AT + timedelta(minutes=4, seconds=59))
    verify_webhook(SECRET, header, body, now=AT - timedelta(minutes=4))  # a clock behind


def test_while_a_secret_is_replaced_either_digest_is_enough() -> None:
    body = b"{}"
    old = by_hand(b"old-secret-0123456789", AT_SECONDS, body)
    new = by_hand(SECRET, AT_SECONDS, body)
    both = f"{new},v1={old.split('v1=')[1]}"
    verify_webhook(SECRET, both, body, now=AT)
    verify_webhook(b"old-secret-0123456789", both, body, now=AT)


@pytest.mark.parametrize(
    ("header", "body", "now", "said"),
    [
        (None, b"{}", AT, "no Escflow-Signature header"),
        ("sha256=abc", b"{}", AT, "is not 't=<seconds>,v1=<hex digest>'"),
        (f"t=x{AT_SECONDS},v1=00", b"{}", AT, "is not 't=<seconds>"),
        (by_hand(SECRET, AT_SECONDS, b"{}"), b'{"changed": 1}', AT, "does not match the body"),
        (by_hand(b"another-secret-0123", AT_SECONDS, b"{}"), b"{}", AT, "does not match"),
        (
            by_hand(SECRET, AT_SECONDS, b"{}"),
            b"{}",
            AT + timedelta(minutes=5, seconds=1),
            "is 301 s from this clock",
        ),
    ],
)
def test_a_receiver_refuses_a_forged_changed_or_replayed_webhook(
    header: str | None, body: bytes, now: datetime, said: str
) -> None:
    with pytest.raises(BadSignature, match=re.escape(said)):
        verify_webhook(SECRET, header, body, now=now)


def secrets_file(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "secrets"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def test_the_longest_address_prefix_holds_the_secret(tmp_path: Path) -> None:
    path = secrets_file(
        tmp_path,
        "# endpoint                          secret\n"
        "https://crm.example.com            host-wide-secret-000\n"
        "https://crm.example.com/hooks/esc  escalations-secret-1  # the escalations hook\n",
    )
    secrets = WebhookSecrets.read(path)
    assert secrets.secret_for("https://crm.example.com/hooks/esc") == b"escalations-secret-1"
    assert secrets.secret_for("https://crm.example.com/hooks/esc/42?x=1") == (
        b"escalations-secret-1"
    )
    assert secrets.secret_for("https://crm.example.com/hooks/escalate") == b"host-wide-secret-000"
    assert secrets.secret_for("https://crm.example.com.evil.test/") is None
    assert secrets.secret_for("http://crm.example.com/hooks/esc") is None


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("https://a.example\n", "secrets:1: expected 'ADDRESS SECRET' (two words), got 1"),
        ("\nftp://a.example 0123456789abcdef\n", "secrets:2: 'ftp://a.example' is not an"),
        ("https://a.example short\n", "secrets:1: the secret of https://a.example is 5"),
        (
            "https://a.example 0123456789abcdef\nhttps://a.example 0123456789abcdeg\n",
            "secrets:2: https://a.example has a secret already",
        ),
    ],
)
def test_a_bad_secrets_line_is_named(tmp_path: Path, text: str, said: str) -> None:
    with pytest.raises(InputError, match=re.escape(said)):
        WebhookSecrets.read(secrets_file(tmp_path, text))


def test_secrets_others_may_read_are_refused(tmp_path: Path) -> None:
    path = secrets_file(tmp_path, "https://a.example 0123456789abcdef\n", mode=0o644)
    with pytest.raises(InputError, match=re.escape(f"(mode 0644); run 'chmod 600 {path}'")):
        WebhookSecrets.read(path)


def test_the_engine_signs_each_webhook_with_its_endpoints_secret(
    receiver: Receiver, write: Write, inbox: Inbox
) -> None:
    hook = receiver.answer("/hook", 204)
    desk = receiver.answer("/desk", 204)
    write("flows/matrix.yaml", WEBHOOK_MATRIX % {"desk": desk})
    path = write("flows/f.yaml", WEBHOOK_FLOW % {"hook": hook})
    clock = ManualClock(AT)
    secrets = WebhookSecrets({hook: SECRET})  # the desk has none: it goes unsigned
    post = partial(post_json, secrets=secrets, clock=clock)
    engine = Engine(
        load_matrix(path.parent),
        MemoryStore(),
        clock=clock,
        actions=Actions(notify=inbox, webhook=post),
    )
    engine.open("f", priority="normal", ticket_id="T-1")
    engine.deliver()
    got = {p: (h, b) for m, p, h, b in receiver.got if m == "POST"}
    headers, body = got["/hook"]
    assert headers[SIGNATURE_HEADER] == by_hand(SECRET, AT_SECONDS, body)
    assert json.loads(body)["ticket"] == "T-1"
    assert SIGNATURE_HEADER not in got["/desk"][0]


def test_the_worker_signs_with_its_secrets_file(
    receiver: Receiver, write: Write, tmp_path: Path
) -> None:
    hook = receiver.answer("/hook", 204)
    write("flows/matrix.yaml", WEBHOOK_MATRIX % {"desk": receiver.answer("/desk", 204)})
    write("flows/f.yaml", WEBHOOK_FLOW % {"hook": hook})
    db = ["--db", f"sqlite:///{tmp_path / 't.db'}", "--flows", str(tmp_path / "flows")]
    assert escflow("ticket", "open", "f", "--id", "T-1", *db).returncode == 0
    secrets = secrets_file(tmp_path, f"{receiver.url} {SECRET.decode()}\n")
    log = ["--log-unhandled", "--actions-log", str(tmp_path / "log.jsonl")]
    before = datetime.now(UTC)
    done = escflow("worker", "--once", "--webhook-secrets", str(secrets), *log, *db)
    after = datetime.now(UTC)
    assert done.returncode == 0, done.stderr
    [(headers, body)] = [(h, b) for m, p, h, b in receiver.got if (m, p) == ("POST", "/hook")]
    sent = int(headers[SIGNATURE_HEADER].split(",")[0].removeprefix("t="))
    assert int(before.timestamp()) <= sent <= int(after.timestamp())
    assert headers[SIGNATURE_HEADER] == by_hand(SECRET, sent, body)


def test_the_worker_refuses_a_secrets_file_others_may_read(write: Write, tmp_path: Path) -> None:
    write("flows/matrix.yaml", WEBHOOK_MATRIX % {"desk": "https://desk.example/hook"})
    write("flows/f.yaml", WEBHOOK_FLOW % {"hook": "https://crm.example/hook"})
    db = ["--db", f"sqlite:///{tmp_path / 't.db'}", "--flows", str(tmp_path / "flows")]
    assert escflow("ticket", "open", "f", "--id", "T-1", *db).returncode == 0
    secrets = secrets_file(tmp_path, "https://crm.example 0123456789abcdef\n", mode=0o640)
    done = escflow("worker", "--once", "--log-unhandled", "--webhook-secrets", str(secrets), *db)
    assert done.returncode == 1
    assert "(mode 0640); run 'chmod 600" in done.stderr
    assert "Traceback" not in done.stderr
