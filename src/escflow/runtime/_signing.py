"""Signed webhooks: an HMAC-SHA256 over the send time and the body, with a secret per
endpoint, in the scheme Stripe and GitHub use.

The worker sends ``Escflow-Signature: t=<unix seconds>,v1=<hex digest>``, the digest being
``HMAC-SHA256(secret, "<t>." + body)``. A receiver recomputes it over the bytes it got
(:func:`verify_webhook`), compares in constant time, and refuses a ``t`` too far from its own
clock, so that a captured request cannot be replayed later. The time is inside the signed
text, so it cannot be changed without the secret.

Secrets are kept out of the flows (which are committed and printed in handbooks): the
worker reads them from a file (``--webhook-secrets``), one endpoint per line.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from escflow.errors import BadSignature, InputError

SIGNATURE_HEADER = "Escflow-Signature"
SCHEME = "v1"
TOLERANCE = timedelta(minutes=5)  # how far a receiver accepts the sender's clock to be off


def sign_webhook(secret: bytes, body: bytes, at: datetime) -> str:
    """The ``Escflow-Signature`` header's value for ``body`` sent at ``at``."""
    stamp = int(at.timestamp())
    return f"t={stamp},{SCHEME}={_digest(secret, stamp, body)}"


def verify_webhook(
    secret: bytes,
    header: str | None,
    body: bytes,
    *,
    now: datetime,
    tolerance: timedelta = TOLERANCE,
) -> None:
    """Check a received webhook: raises :class:`~escflow.errors.BadSignature` unless
    ``header`` signs exactly ``body`` with ``secret``, at most ``tolerance`` from ``now``.

    A header may carry several ``v1=`` digests (while a secret is being replaced, the
    sender signs with both); one that matches is enough.
    """
    if not header:
        raise BadSignature(f"no {SIGNATURE_HEADER} header: the request is not signed")
    fields = [part.strip().partition("=") for part in header.split(",")]
    stamps = [value for key, _, value in fields if key == "t"]
    digests = [value for key, _, value in fields if key == SCHEME]
    if len(stamps) != 1 or not stamps[0].isdigit() or not digests:
        raise BadSignature(
            f"{SIGNATURE_HEADER} is not 't=<seconds>,{SCHEME}=<hex digest>': {header[:80]!r}"
        )
    stamp = int(stamps[0])
    off = abs(now.timestamp() - stamp)
    if off > tolerance.total_seconds():
        raise BadSignature(
            f"the signature's time is {off:.0f} s from this clock (at most"
            f" {tolerance.total_seconds():.0f} s is accepted): a replay, or a clock to set right"
        )
    expected = _digest(secret, stamp, body)
    if not any(hmac.compare_digest(expected, digest) for digest in digests):
        raise BadSignature(
            "the signature does not match the body: another secret signed it, or the body"
            " changed on the way"
        )


def _digest(secret: bytes, stamp: int, body: bytes) -> str:
    return hmac.new(secret, f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class WebhookSecrets:
    """The secret of each webhook endpoint, by address prefix: the longest prefix of a
    webhook's address that has a secret signs it (``https://crm.example.com/`` covers
    every path of that host; ``https://crm.example.com/hooks/escalations`` only that one).
    """

    by_prefix: Mapping[str, bytes] = field(default_factory=dict)

    def secret_for(self, url: str) -> bytes | None:
        """The secret that signs a webhook to ``url`` (None: it goes unsigned)."""
        found = [prefix for prefix in self.by_prefix if _covers(prefix, url)]
        return self.by_prefix[max(found, key=len)] if found else None

    @classmethod
    def read(cls, path: Path) -> WebhookSecrets:
        """Read a secrets file: a line per endpoint, ``ADDRESS SECRET``; ``#`` starts a
        comment. Raises :class:`~escflow.errors.InputError` naming the line at fault, or
        when others than its owner may read the file (as ``ssh`` refuses a key)."""
        try:
            status = path.stat()
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
            raise InputError(f"cannot read the webhook secrets {path}: {reason}") from None
        if os.name == "posix" and status.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise InputError(
                f"{path}: others than its owner may read these webhook secrets (mode"
                f" {stat.S_IMODE(status.st_mode):04o}); run 'chmod 600 {path}'"
            )
        found: dict[str, bytes] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            where = f"{path}:{number}"
            if len(words) != 2:
                raise InputError(
                    f"{where}: expected 'ADDRESS SECRET' (two words), got {len(words)} words"
                )
            address, secret = words
            parts = urllib.parse.urlsplit(address)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise InputError(
                    f"{where}: {address[:60]!r} is not an http(s) address such as"
                    " https://crm.example.com/hooks"
                )
            if address in found:
                raise InputError(f"{where}: {address} has a secret already; give each once")
            if len(secret) < 16:
                raise InputError(
                    f"{where}: the secret of {address} is {len(secret)} characters; give at"
                    " least 16 (e.g. from 'openssl rand -hex 32')"
                )
            found[address] = secret.encode("utf-8")
        return cls(found)


def _covers(prefix: str, url: str) -> bool:
    """Whether ``prefix`` is ``url`` or an ancestor of it (by whole path segments, so
    ``/hooks`` does not cover ``/hooks-old``); a query does not count."""
    base = url.split("#", 1)[0].split("?", 1)[0]
    if base == prefix:
        return True
    return base.startswith(prefix if prefix.endswith("/") else prefix + "/")
