"""Text for labels: escaping (labels, tooltips), wrapping, compact durations, the look.

Nothing here imports graphviz: these are plain string helpers shared by the flowchart
and the matrix overview, and the one place the diagrams' fonts and colours are chosen.
"""

from __future__ import annotations

import re
import unicodedata

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


_UNITS = {
    ("minutes", False): ("min", "min"),
    ("hours", False): ("h", "h"),
    ("days", False): ("day", "days"),
    ("minutes", True): ("business minute", "business minutes"),
    ("hours", True): ("business hour", "business hours"),
    ("days", True): ("business day", "business days"),
}


def _unit(duration: Duration) -> str:
    one, many = _UNITS[duration.unit, duration.business]
    return one if duration.value == 1 else many


def duration_text(duration: Duration) -> str:
    """``30 min``, ``1 h``, ``2 business days``: short where a trainer reads it at a glance."""
    return f"{duration.value} {_unit(duration)}"


def window_text(window: Window) -> str:
    """``15-30 min``, ``30 min - 1 h``, ``1-2 business days``, ``until resolution``."""
    low, high = window.min, window.max
    if high is None:
        return "until resolution" if low is None else f"from {duration_text(low)}, no limit"
    if low is None:
        return f"up to {duration_text(high)}"
    if (low.unit, low.business) == (high.unit, high.business):
        return f"{low.value}-{high.value} {_unit(high)}"
    return f"{duration_text(low)} - {duration_text(high)}"


def factor_text(factor: float) -> str:
    """``×0.5``: how a priority scales the windows (``1.5`` stays ``1.5``, ``2.0`` is ``2``)."""
    return f"×{factor:g}"
