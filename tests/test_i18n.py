"""escflow's own words in the flows' languages: the catalogues are whole, keep their
placeholders, follow the CLDR's plural rules, and say what a native reader expects."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from escflow._i18n import (
    LANGUAGES,
    TEMPLATE,
    catalogue_path,
    entries,
    load,
    plural_index,
    plural_problem,
    source_messages,
    words,
)
from escflow.errors import CatalogueError
from escflow.timing._duration import Compound, Duration, length_words, window_words
from tests.conftest import ROOT

SEED_LANGUAGES = ("ar", "en", "fr", "id", "ko")  # the articles' languages, and English
_FIELD = re.compile(r"\{(\w+)\}")


def _keys(path: Path) -> set[tuple[str | None, str, str | None]]:
    return {(e.context, e.msgid, e.plural) for e in entries(path)[1]}


def test_every_seed_language_has_a_catalogue() -> None:
    assert set(SEED_LANGUAGES) <= set(LANGUAGES)


def test_the_template_holds_exactly_what_the_code_says() -> None:
    said = source_messages(ROOT / "src" / "escflow")
    assert said, "the code says nothing through the catalogue"
    assert _keys(TEMPLATE) == said, "run: make catalogues"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_in_every_language(language: str) -> None:
    header, found = entries(catalogue_path(language))
    assert {(e.context, e.msgid, e.plural) for e in found} == _keys(TEMPLATE)
    forms = int(re.search(r"nplurals=(\d+)", header).group(1))  # type: ignore[union-attr]
    for entry in found:
        assert len(entry.strings) == (forms if entry.plural else 1), entry.msgid
        assert all(s.strip() for s in entry.strings), f"{language}: '{entry.msgid}' is empty"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_their_placeholders(language: str) -> None:
    # A plural form that only one number takes (Arabic's 'one' and 'two') may say the
    # number in words ("دقيقتين"); every other form, and every plain message, keeps
    # every field, and none adds one the code does not fill.
    only_one = {
        form
        for form in range(6)
        if sum(plural_index(language, n) == form for n in range(1001)) == 1
    }
    for entry in entries(catalogue_path(language))[1]:
        given = set(_FIELD.findall(entry.msgid)) | set(_FIELD.findall(entry.plural or ""))
        for form, text in enumerate(entry.strings):
            used = set(_FIELD.findall(text))
            assert used <= given, f"{language}: '{text}' fills fields the code does not give"
            dropped = given - used
            if entry.plural and form in only_one:
                dropped -= {"n"}
            assert not dropped, f"{language}: '{text}' drops {sorted(dropped)}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_plural_forms_are_the_cldr_rules(language: str) -> None:
    header, _ = entries(catalogue_path(language))
    assert plural_problem(header, language) is None


def test_arabic_has_six_plural_forms_in_the_cldrs_order() -> None:
    # zero, one, two, few (3-10), many (11-99), other (100-102), as gettext tools write them.
    numbers = (0, 1, 2, 3, 10, 11, 99, 100, 102, 103, 111)
    assert [plural_index("ar", n) for n in numbers] == [0, 1, 2, 3, 3, 4, 4, 5, 5, 3, 4]


@pytest.mark.parametrize(
    ("language", "forms", "said"),
    [
        # English's rule in French: 0 would be plural, but the CLDR says "0 heure".
        ("fr", "nplurals=2; plural=(n != 1);", "0 and 1 different forms"),
        ("ar", "nplurals=2; plural=(n != 1);", "0 and 2 the same form 1"),
        ("ko", "nplurals=2; plural=(n != 1);", "different forms"),
        ("ar", "nplurals=1; plural=(n % 7);", "gives 1 form 1, but there are only 1"),
        ("fr", "two forms", "is not a gettext Plural-Forms header"),
    ],
)
def test_plural_forms_against_the_cldr_are_refused(language: str, forms: str, said: str) -> None:
    problem = plural_problem(forms, language)
    assert problem is not None
    assert said in problem


def test_a_catalogue_with_other_plural_forms_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "escflow.po"
    bad.write_text(
        'msgid ""\nmsgstr ""\n"Language: ar\\n"\n"Content-Type: text/plain; charset=utf-8\\n"\n'
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n',
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError, match=r"escflow\.po: Plural-Forms .* CLDR rules of 'ar'"):
        load(bad, "ar")


@pytest.mark.parametrize(
    "content", [b'msgid "a"\nmsgstr "b"\nnot a keyword\n', b"\xff\xfe not UTF-8"]
)
def test_an_unreadable_catalogue_names_its_file(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "broken.po"
    bad.write_bytes(content)
    with pytest.raises(CatalogueError, match=r"cannot read the message catalogue .*broken\.po"):
        load(bad, "fr")


def _minutes(language: str, n: int) -> str:
    return length_words(Duration(n, "minutes"), words(language))


def test_arabic_minutes_take_each_form() -> None:
    assert [_minutes("ar", n) for n in (1, 2, 3, 11, 100)] == [
        "دقيقة واحدة",
        "دقيقتين",
        "3 دقائق",
        "11 دقيقة",
        "100 دقيقة",
    ]


def test_arabic_days_differ_between_many_and_other() -> None:
    said = words("ar")
    assert length_words(Duration(15, "days"), said) == "15 يومًا"
    assert length_words(Duration(100, "days"), said) == "100 يوم"
    assert length_words(Duration(2, "days", business=True), said) == "يومي عمل"


def test_french_singular_and_plural() -> None:
    said = words("fr")
    assert length_words(Duration(1, "hours"), said) == "1 heure"
    assert length_words(Duration(2, "hours"), said) == "2 heures"
    assert length_words(Duration(1, "days", business=True), said) == "1 jour ouvré"
    assert length_words(Duration(2, "days", business=True), said) == "2 jours ouvrés"


def test_numbers_are_written_for_the_language() -> None:
    # French groups thousands with a narrow no-break space, Indonesian with a dot.
    assert _minutes("en", 1500) == "1,500 minutes"
    assert _minutes("fr", 1500) == "1\u202f500 minutes"
    assert _minutes("id", 1500) == "1.500 menit"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["15-30 minutes", "30 minutes - 1 hour", "1-2 business days", "until resolution"]),
        (
            "fr",
            [
                "15-30 minutes",
                "de 30 minutes à 1 heure",
                "1-2 jours ouvrés",
                "jusqu'à la résolution",
            ],
        ),
        ("id", ["15-30 menit", "30 menit - 1 jam", "1-2 hari kerja", "hingga selesai"]),
        ("ko", ["15-30분", "30분~1시간", "1-2 영업일", "해결 시까지"]),
        ("ar", ["15-30 دقيقة", "30 دقيقة إلى ساعة واحدة", "1-2 يوم عمل", "حتى حل المشكلة"]),
    ],
)
def test_the_articles_windows_in_its_languages(language: str, expected: list[str]) -> None:
    said = words(language)
    minutes, hour = Duration(30, "minutes"), Duration(1, "hours")
    business = (Duration(1, "days", business=True), Duration(2, "days", business=True))
    assert [
        window_words(Duration(15, "minutes"), minutes, said),
        window_words(minutes, hour, said),
        window_words(*business, said),
        window_words(None, None, said),
    ] == expected


def test_a_length_in_two_units() -> None:
    parts = Compound((("hours", 7), ("minutes", 30)))
    assert length_words(parts, words("en")) == "7 hours 30 minutes"
    assert length_words(parts, words("ko")) == "7시간 30분"
    assert length_words(parts, words("ar")) == "7 ساعات و30 دقيقة"


def test_a_regional_tag_takes_its_languages_words() -> None:
    assert length_words(Duration(2, "hours"), words("fr-CA")) == "2 heures"
    assert words("ko-KR").language == "ko"


def test_a_stored_flow_in_a_language_without_words_is_told_in_english() -> None:
    # validate refuses such a flow (E135); one stored before the rule runs on in English.
    assert words("de").language == "en"
    assert _minutes("de", 2) == "2 minutes"
