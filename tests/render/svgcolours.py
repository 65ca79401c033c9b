"""Text colours against what they are drawn on, read from an SVG that dot wrote.

The background of a text is the last filled shape under it: a shape of its own node
(the node's box, a table cell's fill) drawn before it, else the innermost lane, else
the white page. Contrast is WCAG 2's ratio of relative luminances, computed here from
the colours themselves.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

SVG = "{http://www.w3.org/2000/svg}"
NAMED = {"white": "#ffffff", "black": "#000000"}
_NUMBERS = re.compile(r"-?\d+(?:\.\d+)?")


@dataclass(frozen=True)
class Box:
    """An axis-aligned box around a shape's points."""

    left: float
    top: float
    right: float
    bottom: float

    def holds(self, x: float, y: float) -> bool:
        """Whether the point lies inside."""
        return self.left <= x <= self.right and self.top <= y <= self.bottom

    @property
    def area(self) -> float:
        """Its area (the smaller of two boxes holding a point is the inner one)."""
        return (self.right - self.left) * (self.bottom - self.top)


@dataclass(frozen=True)
class Shown:
    """One text of the drawing, its colour and the colour it sits on."""

    text: str
    group: str
    colour: str
    background: str
    size: float

    @property
    def contrast(self) -> float:
        """WCAG contrast ratio of the two colours."""
        return contrast(self.colour, self.background)


def _hex(colour: str) -> str:
    value = NAMED.get(colour.lower(), colour.lower())
    assert re.fullmatch(r"#[0-9a-f]{6}", value), f"unexpected colour {colour!r}"
    return value


def luminance(colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    value = _hex(colour)
    channels = [int(value[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, two: str) -> float:
    """WCAG contrast ratio, 1 to 21."""
    high, low = sorted((luminance(one), luminance(two)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _box(shape: ET.Element) -> Box | None:
    text = shape.get("d") or shape.get("points")
    if text is None:
        return None
    values = [float(v) for v in _NUMBERS.findall(text)]
    xs, ys = values[0::2], values[1::2]
    return Box(min(xs), min(ys), max(xs), max(ys))


def _filled(group: ET.Element) -> list[tuple[ET.Element, Box, str]]:
    found = []
    for shape in group:
        if shape.tag not in (f"{SVG}path", f"{SVG}polygon"):
            continue
        fill = shape.get("fill", "none")
        box = _box(shape)
        if fill not in ("none", "transparent") and box is not None:
            found.append((shape, box, fill))
    return found


def texts(svg: bytes) -> list[Shown]:
    """Every text of the drawing with its colour and background."""
    root = ET.fromstring(svg)
    graph = root.find(f"{SVG}g")
    assert graph is not None
    lanes = [
        (box, fill)
        for group in graph.iter(f"{SVG}g")
        if group.get("class") == "cluster"
        for _, box, fill in _filled(group)
    ]
    shown: list[Shown] = []
    for group in graph.iter(f"{SVG}g"):
        if group.get("class") not in ("node", "edge", "graph", "cluster"):
            continue
        under: list[tuple[Box, str]] = []
        # A node's or an edge's parts may sit inside links (<a>); the graph and the
        # lanes hold everything else, so only their own texts count for them.
        own = group.iter() if group.get("class") in ("node", "edge") else iter(group)
        for item in own:
            if item.tag in (f"{SVG}path", f"{SVG}polygon") and group.get("class") == "node":
                box = _box(item)
                fill = item.get("fill", "none")
                if box is not None and fill not in ("none", "transparent"):
                    under.append((box, fill))
            if item.tag != f"{SVG}text" or not (item.text or "").strip():
                continue
            size = float(item.get("font-size", "14"))
            anchor = item.get("text-anchor", "start")
            x = float(item.get("x", "0")) + {"start": 2, "end": -2}.get(anchor, 0)
            y = float(item.get("y", "0")) - 0.3 * size
            background = next((fill for box, fill in reversed(under) if box.holds(x, y)), None)
            if background is None:
                holding = [(box.area, fill) for box, fill in lanes if box.holds(x, y)]
                background = min(holding)[1] if holding else "white"
            shown.append(
                Shown(
                    item.text or "",
                    group.get("id", ""),
                    item.get("fill", "black"),
                    background,
                    size,
                )
            )
    return shown
