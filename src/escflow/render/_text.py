"""Text for labels: escaping (labels, tooltips), wrapping, compact durations, the look.

Nothing here imports graphviz: these are plain string helpers shared by the flowchart
and the matrix overview, and the one place the diagrams' fonts and colours are chosen.
"""

from __future__ import annotations

import re
import unicodedata

from escflow._i18n import SOURCE, Words, npgettext_noop, words
from escflow.spec import Window
from escflow.timing import Duration

# One family list for every label. Pango (PNG, PDF) and browsers (SVG) take the first
# family that has a glyph, so Latin text stays in Noto Sans while Korean and Arabic fall
# through to the families that cover them; fontconfig covers anything else.
FONT = "Noto Sans, Noto Sans CJK KR, Noto Sans Arabic, sans-serif"

# Colours print distinctly in colour and differ by line style in grey. Every text colour
# keeps a contrast of at least 4.5:1 (WCAG AA) on each fill it is drawn on.
INK = "#1d2733"
MUTED = "#4a5563"
HIERARCHICAL = "#1f4e79"
FUNCTIONAL = "#a84a0c"
RESOLUTION = "#256b29"
LOOP = "#7b3294"
STEP = "#44546a"
ACTION_FILL = "#e1edf8"
TEAM_FILL = "#fdf1e7"
LANE_FILLS = ("#f4f7fb", "#eaf0f6")
RESOLVED_FILL = "#e6f2e7"
BADGE_FILL = "#3b4654"  # where each priority enters
BADGE_INK = "#ffffff"
PATH = "#d0006f"
PATH_FILL = "#fff3b0"

# Graphviz reads a backslash as an escape even in HTML-like labels: \G, \N, \E, \T,
# \H and \L become the graph's, node's or edge's name or label, and "\\" becomes "\".
# Doubling every backslash leaves one, literal. An entity (&#92;) is no way out: it is
# decoded before the escapes are read.
_ENTITIES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "'": "&#39;",
    "\\": "\\\\",
}
# A tooltip is an escString that dot 2.43 unescapes twice (once while decoding it,
# once while substituting the names), so a literal backslash takes four. Its entities
# are decoded as well, so "&" must be one for "&amp;" to stay "&amp;". An apostrophe
# is safe in a quoted DOT string and stays as it is.
_TOOLTIP = {**_ENTITIES, "'": "'", "\\": "\\" * 4}
_SPECIAL = re.compile("[&<>\"'\\\\]")
_SPACE = re.compile(r"\s+")


def escape(text: str) -> str:
    """User text made safe inside a Graphviz HTML-like label: it shows as written.

    Whitespace runs (newlines included) become one space, because a raw newline is
    not a line break in an HTML-like label and layout is ours to decide.
    """
    flat = _SPACE.sub(" ", text).strip()
    return _SPECIAL.sub(lambda m: _ENTITIES[m.group()], flat)


def tooltip(text: str) -> str:
    """User text as a Graphviz tooltip attribute (an escString) that shows as written.

    Whitespace runs become one space, as in labels. The result holds no quote and
    never starts with ``<``, so the DOT writer quotes it as a plain string.
    """
    flat = _SPACE.sub(" ", text).strip()
    return _SPECIAL.sub(lambda m: _TOOLTIP[m.group()], flat)


def _width(text: str) -> int:
    """Display width in columns: East Asian wide and full-width characters count twice."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _split_long(word: str, width: int) -> list[str]:
    pieces: list[str] = []
    current = ""
    for char in word:
        if current and _width(current + char) > width:
            pieces.append(current)
            current = ""
        current += char
    return [*pieces, current] if current else pieces


def wrap(text: str, width: int) -> list[str]:
    """Greedy word wrap by display width; a word longer than a line is cut.

    ``textwrap`` counts characters, which makes Korean lines twice as wide as Latin
    ones; this counts columns instead.
    """
    lines: list[str] = []
    current = ""
    for word in _SPACE.sub(" ", text).strip().split(" "):
        if not word:
            continue
        for piece in _split_long(word, width) if _width(word) > width else [word]:
            candidate = f"{current} {piece}" if current else piece
            if current and _width(candidate) > width:
                lines.append(current)
                current = piece
            else:
                current = candidate
    if current:
        lines.append(current)
    return lines or [""]


def right_to_left(text: str) -> bool:
    """Whether ``text`` holds right-to-left letters (Arabic, Hebrew, ...)."""
    return any(unicodedata.bidirectional(c) in ("R", "AL") for c in text)


# Graphviz spaces the lines of a label by the font size alone. Arabic letters rise and
# fall further than Latin ones, so wrapped Arabic lines touch; an empty line in a small
# font between them opens the gap (Graphviz's labels have no line-height of their own).
RTL_LINE_GAP = 4  # points
_SPACER = f'<font point-size="{RTL_LINE_GAP}"> </font>'


def wrapped(text: str, width: int, align: str = "center") -> str:
    """Escaped, wrapped text with HTML-like line breaks aligned ``left``, ``right`` or
    ``center``; right-to-left text gets room between its lines."""
    brk = f'<br align="{align}"/>' if align in ("left", "right") else "<br/>"
    gap = f"{brk}{_SPACER}{brk}" if right_to_left(text) else brk
    body = gap.join(escape(line) for line in wrap(text, width))
    # Graphviz justifies a line by the <br> that ends it, so the last line needs one too.
    return body + brk if align in ("left", "right") else body


# The diagrams' short forms (a trainer reads them at a glance), in the chart's context of
# the catalogue: ``30 min``, ``1 h``, ``2 business days``, and their ranges.
_UNITS: dict[tuple[str, bool], tuple[str, str, str]] = {
    ("minutes", False): npgettext_noop("chart", "{n} min", "{n} min"),
    ("hours", False): npgettext_noop("chart", "{n} h", "{n} h"),
    ("days", False): npgettext_noop("chart", "{n} day", "{n} days"),
    ("minutes", True): npgettext_noop("chart", "{n} business minute", "{n} business minutes"),
    ("hours", True): npgettext_noop("chart", "{n} business hour", "{n} business hours"),
    ("days", True): npgettext_noop("chart", "{n} business day", "{n} business days"),
}
_RANGES: dict[tuple[str, bool], tuple[str, str, str]] = {
    ("minutes", False): npgettext_noop("chart", "{low}-{high} min", "{low}-{high} min"),
    ("hours", False): npgettext_noop("chart", "{low}-{high} h", "{low}-{high} h"),
    ("days", False): npgettext_noop("chart", "{low}-{high} day", "{low}-{high} days"),
    ("minutes", True): npgettext_noop(
        "chart", "{low}-{high} business minute", "{low}-{high} business minutes"
    ),
    ("hours", True): npgettext_noop(
        "chart", "{low}-{high} business hour", "{low}-{high} business hours"
    ),
    ("days", True): npgettext_noop(
        "chart", "{low}-{high} business day", "{low}-{high} business days"
    ),
}


def duration_text(duration: Duration, said: Words | None = None) -> str:
    """``30 min``, ``1 h``, ``2 business days``: short where a trainer reads it at a glance,
    in ``said``'s language (English without)."""
    said = said or words(SOURCE)
    return said.npgettext(*_UNITS[duration.unit, duration.business], duration.value)


def window_text(window: Window, said: Words | None = None) -> str:
    """``15-30 min``, ``30 min - 1 h``, ``1-2 business days``, ``until resolution``, in
    ``said``'s language (English without)."""
    said = said or words(SOURCE)
    low, high = window.min, window.max
    if high is None:
        if low is None:
            return said.pgettext("chart", "until resolution")
        return said.pgettext("chart", "from {low}, no limit", low=duration_text(low, said))
    if low is None:
        return said.pgettext("chart", "up to {high}", high=duration_text(high, said))
    if (low.unit, low.business) == (high.unit, high.business):
        context, singular, plural = _RANGES[high.unit, high.business]
        return said.npgettext(context, singular, plural, high.value, low=low.value, high=high.value)
    return said.pgettext(
        "chart", "{low} - {high}", low=duration_text(low, said), high=duration_text(high, said)
    )


def factor_text(factor: float, said: Words | None = None) -> str:
    """``×0.5``: how a priority scales the windows (``1.5`` stays ``1.5``, ``2.0`` is ``2``),
    the number written for ``said``'s language (``×0,5`` in French)."""
    return f"×{(said or words(SOURCE)).number(float(f'{factor:g}'))}"
