"""The flow as a networkx graph: steps are nodes, triggers are edges.

The only module that imports networkx.
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx

from escflow.compile._index import FlowIndex
from escflow.spec._models import RESOLVED


class FlowGraph:
    """A directed multigraph of one flow's steps (plus ``resolved``) and triggers."""

    def __init__(self, index: FlowIndex) -> None:
        self._graph: nx.MultiDiGraph = nx.MultiDiGraph()
        self._graph.add_node(RESOLVED)
        for ref in index.step_by_id.values():
            self._graph.add_node(ref.id)
        for trigger in index.triggers:
            if trigger.target is not None:
                self._graph.add_edge(trigger.source.id, trigger.target, key=trigger.id)

    def unreachable(self, entries: Iterable[str]) -> set[str]:
        """Steps no path reaches from any of ``entries``."""
        seen: set[str] = set()
        for entry in entries:
            if entry in self._graph and entry not in seen:
                seen.add(entry)
                seen |= nx.descendants(self._graph, entry)
        return {str(node) for node in self._graph.nodes} - seen - {RESOLVED}

    def stranded(self) -> set[str]:
        """Steps from which no path leads to resolution."""
        can_resolve: set[str] = {str(n) for n in nx.ancestors(self._graph, RESOLVED)}
        can_resolve.add(RESOLVED)
        return {str(node) for node in self._graph.nodes} - can_resolve

    def cycle_through(self, step: str) -> list[str] | None:
        """A cycle through ``step`` (as a list of steps), or None; used to explain traps."""
        try:
            edges = nx.find_cycle(self._graph, source=step)
        except nx.NetworkXNoCycle:
            return None
        return [str(edge[0]) for edge in edges]


def timer_cycles(
    moves: Iterable[tuple[str, str]],
    entering: Iterable[tuple[str, str]] = (),
    restarts: Iterable[tuple[str, str]] = (),
) -> list[list[str]]:
    """A cycle (a list of steps) in each part of a flow's timer graph that a ticket can go
    round for ever, moved by ``moves`` (``entering`` those of them into another level) and
    ``restarts`` (a window starting again at its level's entry).

    A ticket goes round for ever a cycle of moves alone, or a cycle holding a move into
    another level: entering a level starts its count of restarts again. A cycle of
    restarts and moves within one level ends when the count runs out.
    """
    moving = list(moves)
    full: nx.DiGraph = nx.DiGraph()
    full.add_edges_from([*moving, *restarts])
    timers: nx.DiGraph = nx.DiGraph(moving)
    found: list[list[str]] = []
    for part in nx.strongly_connected_components(full):
        inside = full.subgraph(part)
        through = [(a, b) for a, b in entering if a in part and b in part]
        if through:
            source, target = through[0]
            back = nx.shortest_path(inside, target, source)  # round to the move's start
            found.append(
                [str(step) for step in [source, *back[:-1]]] if source != target else [str(source)]
            )
            continue
        try:
            edges = nx.find_cycle(timers.subgraph(part & set(timers.nodes)))
        except nx.NetworkXNoCycle:
            continue
        found.append([str(edge[0]) for edge in edges])
    return found
