"""The flowchart's own words (lane titles, "Resolved", "New ticket", the timer's "after 30
min", the legend) in the flow's language, from the same catalogue as the notices.

The expected words are written here as a reader of each language would; the DOT is read
back through Graphviz's parser, so each label is checked as Graphviz will draw it.
"""

from __future__ import annotations

import re

import pytest

from escflow import Matrix
from escflow._i18n import LANGUAGES, catalogue_path, entries
from escflow.render import category_name, flow_source
from tests.render.dotgraph import DotGraph, parse

# flow -> (lane title of level 1, a resolution terminal, the entry, the timer of level 1,
# the legend's title)
WORDS = {
    "complaint": ("Level 1", "Resolved", "New ticket", "after 30 min", "Legend"),
    "reclamation-fr": ("Niveau 1", "Résolu", "Nouveau ticket", "après 30 min", "Légende"),
    "bantuan-id": ("Tingkat 1", "Selesai", "Tiket baru", "setelah 30 mnt", "Keterangan"),
    "bulman-ko": ("레벨 1", "해결됨", "새 티켓", "30분 후", "범례"),
    "shakwa-ar": ("المستوى 1", "تم الحل", "تذكرة جديدة", "بعد 30 دقيقة", "مفتاح الرموز"),
}


def _chart(matrix: Matrix, flow_id: str) -> DotGraph:
    flow = matrix.flow(flow_id)
    return parse(flow_source(flow, category=category_name(matrix, flow)))


def _title(graph: DotGraph, level_id: str) -> str:
    """A lane's title (a node beside its first step), its wrapped lines joined by spaces."""
    label = graph.nodes[f"title.{level_id}"]["label"]
    return re.sub(r"<br[^>]*/>", " ", label)


@pytest.mark.parametrize("flow_id", sorted(WORDS))
def test_the_charts_words_are_the_flows_language(matrix: Matrix, flow_id: str) -> None:
    level, resolved, entry, timer, legend = WORDS[flow_id]
    graph = _chart(matrix, flow_id)
    assert f"<b>{level} · " in _title(graph, "level-1")
    terminals = [n["label"] for name, n in graph.nodes.items() if name.startswith("resolved.")]
    assert terminals
    assert set(terminals) == {resolved}
    entries_shown = [n["label"] for name, n in graph.nodes.items() if name.startswith("entry.")]
    assert any(f"<b>{entry}</b>" in label for label in entries_shown), entries_shown
    timer_id = "terlalu-lama" if flow_id == "bantuan-id" else "timeout"  # its own timer
    timeout = graph.edge(f"trigger.level-1.{timer_id}")
    assert f"<i>{timer}</i>" in timeout.attrs["label"]
    assert f"<b>{legend}</b>" in graph.nodes["legend."]["label"]


@pytest.mark.parametrize("flow_id", ["reclamation-fr", "bulman-ko", "shakwa-ar"])
def test_no_english_chrome_is_left_in_a_translated_chart(matrix: Matrix, flow_id: str) -> None:
    graph = _chart(matrix, flow_id)
    labels = " ".join(
        [
            *(c["label"] for c in graph.clusters.values()),
            *(n.get("label", "") for n in graph.nodes.values()),
            *(e.attrs.get("label", "") for e in graph.edges),
        ]
    )
    for english in ("Level ", "Resolved", "New ticket", "after ", "Legend", "window "):
        assert english not in labels, english


def test_a_korean_lane_title_says_its_kind_and_window(matrix: Matrix) -> None:
    title = _title(_chart(matrix, "bulman-ko"), "level-2")
    assert "개인 · 처리 시간 30분~1시간" in title


def test_a_french_priority_scales_the_windows_in_french(matrix: Matrix) -> None:
    # Critical enters level 3 with its own window written out, and scales the others by
    # 0.25: the entry says so with a decimal comma.
    graph = _chart(matrix, "reclamation-fr")
    entry = graph.nodes["entry.level-3"]["label"]
    assert "niveau 3 : 15-30 min" in entry
    assert "autres niveaux ×0,25" in entry


_SPECIAL = re.compile(r"[&<>\"\\]")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_charts_words_hold_nothing_a_label_must_escape(language: str) -> None:
    # The flowchart writes the catalogue's words into HTML-like labels as they are.
    for entry in entries(catalogue_path(language))[1]:
        if entry.context == "chart":
            for text in entry.strings:
                assert not _SPECIAL.search(text), f"{language}: {text!r}"
