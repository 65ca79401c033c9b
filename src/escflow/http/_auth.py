"""Who may call the API: bearer tokens, each with a name and a role.

Roles are ordered: ``viewer`` reads, ``agent`` also acts on tickets, ``admin`` also
reloads the flows. A token's name is the actor the history records for what it did.

Tokens come from a file (``--tokens FILE``) or the environment (``ESCFLOW_TOKENS``),
one per line as ``NAME ROLE SECRET``, where SECRET is the token itself or its SHA-256 as
``sha256:<64 hex digits>`` (so that the file need not hold the token). Only the SHA-256
is kept in memory. A plain hash is enough here, where a password would need a slow one
(scrypt, argon2): a token is random, at least 128 bits (:data:`MIN_TOKEN`), so nobody can
search its hash for it, however fast each guess; a slow hash only helps secrets that a
person chose and that a dictionary holds. Presented tokens are hashed and compared with
every known hash by :func:`hmac.compare_digest`, whose time does not depend on where
two values first differ.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from escflow.errors import InputError

Role = Literal["viewer", "agent", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "agent", "admin")
MIN_TOKEN = 32
"""The fewest characters a token given as itself may have: 32 hex digits are 128 bits
(``python -c 'import secrets; print(secrets.token_hex(32))'`` makes one of 256)."""
TOKENS_VARIABLE = "ESCFLOW_TOKENS"
_HASHED = re.compile(r"^sha256:([0-9a-f]{64})$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


@dataclass(frozen=True)
class Principal:
    """Who made a request: the token's name (the actor) and its role."""

    name: str
    role: Role

    def may(self, role: Role) -> bool:
        """True when this principal's role includes ``role``."""
        return ROLES.index(self.role) >= ROLES.index(role)


LOCAL = Principal("local", "admin")
"""Who calls a server that has no tokens (it listens on the loopback interface only)."""


def digest(token: str) -> bytes:
    """The SHA-256 of a token."""
    return hashlib.sha256(token.encode("utf-8")).digest()


class Tokens:
    """The known tokens, hashed; :meth:`find` says whose a presented token is."""

    def __init__(self, entries: list[tuple[str, Role, bytes]]) -> None:
        self._entries = entries

    def __bool__(self) -> bool:
        return bool(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def find(self, token: str) -> Principal | None:
        """The principal of ``token``, or None; every entry is compared, found or not."""
        presented = digest(token)
        found: Principal | None = None
        for name, role, known in self._entries:
            if hmac.compare_digest(presented, known) and found is None:
                found = Principal(name, role)
        return found

    @classmethod
    def parse(cls, text: str, source: str) -> Tokens:
        """Tokens from lines of ``NAME ROLE SECRET`` (``#`` starts a comment); ``source``
        names where they came from in errors (``tokens.txt:3``)."""
        entries: list[tuple[str, Role, bytes]] = []
        names: set[str] = set()
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            entries.append(_entry(line, f"{source}:{number}", names))
        return cls(entries)

    @classmethod
    def read(cls, path: Path) -> Tokens:
        """Tokens from a file."""
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read the tokens file {path}: {exc}") from None
        return cls.parse(text, str(path))


def _entry(line: str, where: str, names: set[str]) -> tuple[str, Role, bytes]:
    parts = line.split()
    if len(parts) != 3:
        raise InputError(
            f"{where}: a token line is NAME ROLE SECRET (three words), e.g."
            " 'zendesk agent sha256:<64 hex digits>'; this one has"
            f" {len(parts)} word{'s' if len(parts) != 1 else ''}"
        )
    name, role, secret = parts
    if not _NAME.match(name):
        raise InputError(
            f"{where}: the token name {name!r} is not a plain name (letters, digits, . _ @ -;"
            " at most 64): it becomes the actor in the history"
        )
    if name in names:
        raise InputError(f"{where}: the token name '{name}' is given twice; give each once")
    names.add(name)
    if role not in ROLES:
        raise InputError(f"{where}: the role '{role}' is none of {', '.join(ROLES)}")
    hashed = _HASHED.match(secret)
    if hashed is not None:
        return name, role, bytes.fromhex(hashed.group(1))
    if secret.startswith("sha256:"):
        raise InputError(f"{where}: 'sha256:' is followed by 64 hex digits (lower case)")
    if len(secret) < MIN_TOKEN:
        raise InputError(
            f"{where}: the token of '{name}' has {len(secret)} characters; give at least"
            f" {MIN_TOKEN} random ones (e.g. from: python -c 'import secrets;"
            " print(secrets.token_hex(32))')"
        )
    return name, role, digest(secret)


def bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


LOOPBACK = ("127.0.0.1", "::1", "localhost")


def check_listening(host: str, tokens: Tokens) -> None:
    """Refuse to listen beyond the loopback interface with no tokens: anyone on the
    network could then move every ticket."""
    if not tokens and host not in LOOPBACK and not host.startswith("127."):
        raise InputError(
            f"--host {host} would let anyone on the network act on every ticket: give tokens"
            f" (--tokens FILE or ${TOKENS_VARIABLE}) or listen on 127.0.0.1"
        )


__all__ = [
    "LOCAL",
    "LOOPBACK",
    "MIN_TOKEN",
    "ROLES",
    "TOKENS_VARIABLE",
    "Principal",
    "Role",
    "Tokens",
    "bearer",
    "check_listening",
    "digest",
]
