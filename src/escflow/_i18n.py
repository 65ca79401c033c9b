"""The words escflow itself writes, in the flow's language: message catalogues read with Babel.

The catalogues are gettext ``.po`` files under ``escflow/locale/<language>/LC_MESSAGES/``,
one per language, beside the template ``escflow.pot``. They are read as they are shipped:
Babel parses the ``.po`` and compiles it in memory (``write_mo`` into a buffer) for the
standard library's :class:`gettext.GNUTranslations`, once per process. No ``.mo`` file is
built at install time, so an editable install, a wheel and a source checkout read the same
file a translator edits, and no build step can leave a stale ``.mo`` behind.

Plural forms are the Unicode CLDR's: each catalogue's ``Plural-Forms`` header is checked,
when it is read, against the CLDR plural rules Babel carries (one form per category), and
refused otherwise. Arabic has six forms, in the CLDR's order as gettext tools write them:
zero, one, two, few (3-10), many (11-99) and other (100-102). The header, not Babel's own
gettext table (which has changed between Babel releases), is what the lookups follow.

Numbers in the text are written by Babel for the language (``1,500`` in English,
``1 500`` in French, ``1.500`` in Indonesian), in Latin digits, as the seeds' Arabic and
Korean texts write them.

The message ids are English and live in the code that says them, as calls of
``words.gettext``, ``ngettext``, ``pgettext`` (``chart`` context: the diagrams' words) and
``npgettext``, or marked with :func:`gettext_noop` (and its kin) where a table holds them:
:func:`source_messages` extracts them with Babel, and a test keeps the template and every
catalogue equal to what the code says.

This is the only module that imports Babel.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po, write_po
from babel.numbers import format_decimal

from escflow.errors import CatalogueError

LOCALE = Path(__file__).parent / "locale"
DOMAIN = "escflow"
SOURCE = "en"  # the language of the message ids
TEMPLATE = LOCALE / f"{DOMAIN}.pot"


def _shipped() -> tuple[str, ...]:
    found = {p.parent.parent.name for p in LOCALE.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    return tuple(sorted(found))


LANGUAGES: tuple[str, ...] = _shipped()
"""The languages escflow has a catalogue for (``ar``, ``en``, ``fr``, ``id``, ``ko``)."""


def catalogued(tag: str) -> str | None:
    """The catalogued language a flow's ``language`` tag is written in (``fr-CA``: ``fr``),
    or None when escflow has no catalogue for it."""
    base = tag.split("-")[0].lower()
    return base if base in LANGUAGES else None


# Codes written for the catalogued languages that are not their tags: ISO 639-2 and -3
# codes, Indonesian's withdrawn 'in', and country codes taken for languages.
_ALIASES = {
    "ara": "ar",
    "sa": "ar",
    "eng": "en",
    "fra": "fr",
    "fre": "fr",
    "ind": "id",
    "in": "id",
    "kor": "ko",
    "kr": "ko",
}


def meant(tag: str) -> str | None:
    """The catalogued language a tag without a catalogue was probably meant as
    (``kor``, ``kr``: ``ko``), or None."""
    return _ALIASES.get(tag.split("-")[0].lower())


def language_name(tag: str) -> str | None:
    """The English name of a language tag (``de``: German), or None when Babel knows none."""
    try:
        name = Locale.parse(tag.replace("-", "_")).get_language_name("en")
    except (ValueError, TypeError, UnknownLocaleError):
        return None
    return str(name) if name else None


def catalogue_path(language: str) -> Path:
    """The ``.po`` file of one language."""
    return LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"


# Enough numbers to meet every plural category of the catalogued languages for whole
# numbers (Arabic's 'other' starts again at 100-102, its 'many' at 11-99).
_PLURAL_PROBES = range(201)


def plural_problem(forms: str, language: str) -> str | None:
    """Why a ``Plural-Forms`` header does not follow the CLDR plural rules of ``language``
    (as Babel has them), or None when it does: each of its forms must be taken by the
    numbers of exactly one CLDR category, and each category by one form."""
    try:
        count = int(forms.split("nplurals=", 1)[1].split(";", 1)[0])
        plural = gettext.c2py(forms.split("plural=", 1)[1].strip().rstrip(";"))
    except (IndexError, ValueError):
        return f"'{forms}' is not a gettext Plural-Forms header"
    rule = Locale.parse(language).plural_form
    form_of: dict[str, tuple[int, int]] = {}
    category_of: dict[int, tuple[str, int]] = {}
    for n in _PLURAL_PROBES:
        form, category = int(plural(n)), str(rule(n))
        if form >= count:
            return f"'{forms}' gives {n} form {form}, but there are only {count}"
        seen = form_of.setdefault(category, (form, n))
        if seen[0] != form:
            return (
                f"'{forms}' gives {seen[1]} and {n} different forms ({seen[0]}, {form}), but"
                f" both are '{category}' by the CLDR rules of '{language}'"
            )
        known = category_of.setdefault(form, (category, n))
        if known[0] != category:
            return (
                f"'{forms}' gives {known[1]} and {n} the same form {form}, but the CLDR rules"
                f" of '{language}' make them '{known[0]}' and '{category}'"
            )
    return None


@dataclass(frozen=True)
class Entry:
    """One message of a catalogue: its context, id, plural id and translations (one per
    plural form; one for a message without plural)."""

    context: str | None
    msgid: str
    plural: str | None
    strings: tuple[str, ...]


def entries(path: Path) -> tuple[str, list[Entry]]:
    """The ``Plural-Forms`` header and the messages of a ``.po`` or ``.pot`` file."""
    try:
        with path.open("rb") as handle:
            catalog = read_po(handle, abort_invalid=True)
    except (OSError, UnicodeDecodeError, PoFileError) as exc:
        raise CatalogueError(f"cannot read the message catalogue {path}: {exc}") from None
    found: list[Entry] = []
    for message in catalog:
        if not message.id:
            continue  # the header
        raw = message.string
        strings = (
            tuple(str(s or "") for s in raw) if isinstance(raw, tuple | list) else (str(raw or ""),)
        )
        if isinstance(message.id, tuple | list):
            singular, plural = str(message.id[0]), str(message.id[1])
        else:
            singular, plural = str(message.id), None
        found.append(Entry(message.context, singular, plural, strings))
    return str(catalog.plural_forms), found


def gettext_noop(message: str) -> str:
    """A message kept in a name or a table (looked up later with ``gettext``): marked so
    that :func:`source_messages` finds it."""
    return message


def pgettext_noop(context: str, message: str) -> str:
    """A message in ``context`` kept in a name or a table (looked up with ``pgettext``)."""
    return message


def ngettext_noop(singular: str, plural: str) -> tuple[str, str]:
    """A plural message kept in a table (looked up later with ``ngettext``): marked so
    that :func:`source_messages` finds it."""
    return singular, plural


def npgettext_noop(context: str, singular: str, plural: str) -> tuple[str, str, str]:
    """A plural message in ``context`` kept in a table (looked up with ``npgettext``)."""
    return context, singular, plural


# What marks a message in the code: gettext's own names, and the table markers above.
_KEYWORDS = {
    "gettext": None,
    "gettext_noop": None,
    "pgettext_noop": ((1, "c"), 2),
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "ngettext_noop": (1, 2),
    "npgettext_noop": ((1, "c"), 2, 3),
}


def source_messages(root: Path) -> set[tuple[str | None, str, str | None]]:
    """``(context, msgid, plural id)`` of every message the Python code under ``root`` says
    through ``gettext``, ``ngettext``, ``pgettext`` or ``npgettext`` calls."""
    found: set[tuple[str | None, str, str | None]] = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        str(root), method_map=[("**.py", "python")], keywords=_KEYWORDS
    ):
        if isinstance(message, tuple):
            found.add((context, message[0], message[1]))
        else:
            found.add((context, message, None))
    return found


def update_catalogues(root: Path = Path(__file__).parent) -> list[Path]:
    """Write the template from what the code under ``root`` says, and bring every
    language's catalogue up to it (new messages untranslated, gone ones dropped, each
    translation kept); the files written. ``make catalogues`` runs it; a translator then
    fills the empty ``msgstr``s."""
    template = Catalog(
        project="escflow",
        domain=DOMAIN,
        fuzzy=False,
        header_comment=(
            "# The messages escflow writes, in English (the message ids): the template of"
            "\n# locale/<language>/LC_MESSAGES/escflow.po. Written by `make catalogues`."
        ),
    )
    for file, line, message, comments, context in extract_from_dir(
        str(root), method_map=[("**.py", "python")], keywords=_KEYWORDS
    ):
        template.add(message, locations=[(file, line)], auto_comments=comments, context=context)
    written = [TEMPLATE]
    with TEMPLATE.open("wb") as handle:
        write_po(handle, template, omit_header=False, width=100, no_location=True)
    for language in LANGUAGES:
        path = catalogue_path(language)
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, no_location=True)
        written.append(path)
    return written


def load(path: Path, language: str) -> gettext.GNUTranslations:
    """A ``.po`` file of ``language`` as gettext translations, its plural forms checked
    against the CLDR's; raises :class:`~escflow.errors.CatalogueError` naming the file."""
    try:
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=language, abort_invalid=True)
    except (OSError, UnicodeDecodeError, PoFileError) as exc:
        raise CatalogueError(f"cannot read the message catalogue {path}: {exc}") from None
    problem = plural_problem(str(catalog.plural_forms), language)
    if problem is not None:
        raise CatalogueError(f"{path}: Plural-Forms {problem}")
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@cache
def _translations(language: str) -> gettext.GNUTranslations:
    path = catalogue_path(language)
    if not path.is_file():
        raise CatalogueError(
            f"escflow has no message catalogue for '{language}' (expected {path});"
            f" the languages it has are {', '.join(LANGUAGES)}"
        )
    return load(path, language)


class Words:
    """What escflow writes in one language: gettext lookups whose ``{fields}`` are filled,
    numbers written for the language.

    A message with no translation yet says its English id, as gettext does; the
    catalogue test keeps every shipped message translated.
    """

    def __init__(self, language: str) -> None:
        self.language = language
        self._gnu = _translations(language)

    def number(self, value: int | float) -> str:
        """``value`` written for the language (grouping, decimal sign), in Latin digits."""
        return str(format_decimal(value, locale=self.language, decimal_quantization=False))

    def _fill(self, text: str, fields: Mapping[str, object]) -> str:
        values = {
            name: self.number(value)
            if isinstance(value, int | float) and not isinstance(value, bool)
            else value
            for name, value in fields.items()
        }
        return text.format_map(values)

    def gettext(self, message: str, /, **fields: object) -> str:
        """``message`` in this language, its ``{fields}`` filled (numbers for the language)."""
        return self._fill(self._gnu.gettext(message), fields)

    def ngettext(self, singular: str, plural: str, n: int, /, **fields: object) -> str:
        """The plural form for ``n`` (which fills ``{n}`` unless given another value)."""
        return self._fill(self._gnu.ngettext(singular, plural, n), {"n": n, **fields})

    def pgettext(self, context: str, message: str, /, **fields: object) -> str:
        """``message`` in ``context`` (``chart``: the diagrams' words)."""
        return self._fill(self._gnu.pgettext(context, message), fields)

    def npgettext(
        self, context: str, singular: str, plural: str, n: int, /, **fields: object
    ) -> str:
        """The plural form for ``n`` of a message in ``context``."""
        return self._fill(self._gnu.npgettext(context, singular, plural, n), {"n": n, **fields})


def plural_index(language: str, n: int) -> int:
    """Which of the language's plural forms (``msgstr[i]``) the number ``n`` takes."""
    # GNUTranslations sets 'plural' from the header; typeshed does not declare it.
    plural: Callable[[int], int] = getattr(_translations(language), "plural")  # noqa: B009
    return int(plural(n))


@cache
def words(tag: str) -> Words:
    """The words of a flow's ``language`` tag.

    ``validate`` refuses a language escflow has no catalogue for (E135); a flow version
    stored before that rule existed, in such a language, is written to in English
    (the language its tickets were always told in), never refused mid-way.
    """
    return Words(catalogued(tag) or SOURCE)
