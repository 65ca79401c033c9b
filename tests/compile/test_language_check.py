"""E135: a flow's language must be one escflow has words for, and the message says which."""

from __future__ import annotations

from escflow.compile import check_paths
from tests.conftest import FIXTURES

FIXTURE = FIXTURES / "checks" / "E135-language-without-catalogue.yaml"


def test_the_message_names_the_language_and_the_ones_there_are() -> None:
    german, korean = (p for p in check_paths([FIXTURE]).problems if p.code == "E135")
    assert (german.line, german.column) == (15, 11)  # the value of 'language:'
    assert german.message.startswith("language 'de' (German) has no message catalogue")
    assert "The languages escflow writes are ar, en, fr, id, ko" in german.message
    assert "did you mean" not in german.message
    assert "language 'kor' (Korean)" in korean.message
    assert "did you mean 'ko'?" in korean.message
