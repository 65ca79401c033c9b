"""A store's address as it may be shown: never with its password.

Every message, log line and error that names a store shows it through :func:`shown_url`,
whatever the form of the address: a URL (``postgresql://user:pw@host/db``, the password
in its user part or in ``?password=``) or a libpq ``key=value`` string (``host=h
password='p w'``). :func:`scrub` takes the password out of text that another program
wrote about the address (psycopg quotes parts of it in its errors), and
:func:`check_credentials` refuses, without quoting it, a user part that libpq would read
other than as written (an ``@`` or ``/`` in a password, a ``%`` that escapes nothing).

Pure Python, no database library: a message can be made before one is loaded, or
without one installed.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from escflow.errors import StoreError

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
# Shorter pieces would match by chance ('pw' in 'pwd'); the address itself is shown
# redacted by its structure, so this only catches echoes of the password in messages.
_SHORTEST = 4


def shown_url(url: str) -> str:
    """``url`` as it may be printed: a URL without the password of its user part or of
    its ``password`` parameter, a ``key=value`` string without its ``password``; any
    other text (a SQLite URL) as it is."""
    if _SCHEME.match(url):
        return _shown_uri(url)
    if "=" in url:
        return " ".join(text for key, _, text in _keywords(url) if key.lower() != "password")
    return url


def scrub(text: str, url: str) -> str:
    """``text`` with every form of ``url``'s password in it replaced by ``***``, and the
    address itself, if quoted whole, by its shown form."""
    text = text.replace(url, shown_url(url)) if url else text
    for secret in sorted(_passwords(url), key=len, reverse=True):
        if len(secret) >= _SHORTEST:
            text = text.replace(secret, "***")
    return text


def check_credentials(url: str) -> None:
    """Refuse a URL whose user part libpq would read other than as written, saying what to
    write instead and never quoting the password.

    libpq ends the user part at the first ``@`` (an ``@`` in a password then starts the
    host name, which its errors quote) and decodes ``%XX`` in it (a ``%`` before anything
    else is an error that quotes the password).
    """
    scheme = _SCHEME.match(url)
    if scheme is None:
        return
    authority = re.split(r"[/?#]", url[scheme.end() :], maxsplit=1)[0]
    if "@" not in authority:
        return
    userinfo, _, hosts = authority.partition("@")
    shown = _shown_uri(url)
    if "@" in hosts:
        raise StoreError(
            f"the URL {shown} has '@' in its user name or password, where libpq reads the"
            " end of it: write '@' there as %40"
        )
    if _BAD_ESCAPE.search(userinfo):
        raise StoreError(
            f"the URL {shown} has a '%' in its user name or password that escapes nothing:"
            " write '%' there as %25 (a URL's user part is percent-encoded)"
        )


def _split_userinfo(url: str) -> tuple[str | None, str]:
    """(the user part, or None, and the rest after it) of a URL. A user part with a
    password ends at the LAST '@', so that a stray '@' (or '/') in the password is hidden
    with it; one without (``postgresql://h/db?options=a@b``) is read as libpq reads it."""
    scheme = _SCHEME.match(url)
    start = scheme.end() if scheme else 0
    at = url.rfind("@", start)
    if at >= 0 and ":" not in url[start:at]:  # no password: the '@' of the authority, if any
        authority = re.split(r"[/?#]", url[start:], maxsplit=1)[0]
        at = start + authority.find("@") if "@" in authority else -1
    if at < 0:
        return None, url[start:]
    return url[start:at], url[at + 1 :]


def _shown_uri(url: str) -> str:
    scheme = url[: url.index("://") + 3]
    userinfo, rest = _split_userinfo(url)
    user = "" if userinfo is None else re.split(r"[:/?#]", userinfo, maxsplit=1)[0] + "@"
    head, mark, query = rest.partition("?")
    if mark:
        kept = [p for p in query.split("&") if p and _param(p) != "password"]
        head += "?" + "&".join(kept) if kept else ""
    return f"{scheme}{user}{head}"


def _param(pair: str) -> str:
    return unquote(pair.split("=", 1)[0]).lower()


def _passwords(url: str) -> set[str]:
    """Every spelling of the password(s) ``url`` holds: as written, decoded, unquoted."""
    found: set[str] = set()
    if _SCHEME.match(url):
        userinfo, rest = _split_userinfo(url)
        if userinfo is not None and ":" in userinfo:
            found.add(userinfo.split(":", 1)[1])
        _, _, query = rest.partition("?")
        found |= {
            p.split("=", 1)[1] for p in query.split("&") if "=" in p and _param(p) == "password"
        }
    elif "=" in url:
        found |= {
            piece
            for key, value, text in _keywords(url)
            if key.lower() == "password"
            for piece in (value, text.split("=", 1)[1].strip())
        }
    # libpq may split a password at a character it reads as the end of the user part.
    more = {unquote(s) for s in found} | {part for s in found for part in re.split(r"[@/?#]", s)}
    return {s for s in found | more if s}


def _keywords(text: str) -> list[tuple[str, str, str]]:
    """A libpq ``key=value`` string as (key, value, the text of the pair) triples, as
    libpq reads it: values in single quotes may hold spaces, a backslash escapes the next
    character. Text that is not a pair ends the list, shown as ``…``."""
    pairs: list[tuple[str, str, str]] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i].isspace():
            i += 1
        if i == n:
            break
        start = i
        while i < n and text[i] != "=" and not text[i].isspace():
            i += 1
        key = text[start:i]
        while i < n and text[i].isspace():
            i += 1
        if i == n or text[i] != "=" or not key:
            pairs.append(("", "", "…"))
            break
        i += 1
        while i < n and text[i].isspace():
            i += 1
        value: list[str] = []
        quoted = i < n and text[i] == "'"
        i += quoted
        while i < n and (text[i] != "'" if quoted else not text[i].isspace()):
            if text[i] == "\\" and i + 1 < n:
                i += 1
            value.append(text[i])
            i += 1
        i += quoted and i < n  # the closing quote
        pairs.append((key, "".join(value), text[start:i]))
    return pairs
