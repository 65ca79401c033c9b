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


def timer_cycles(edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """One cycle (a list of steps) in each part of the graph of ``edges`` that a ticket can
    go round: each strongly connected part with more than one step, or a step with an edge
    to itself."""
    graph: nx.DiGraph = nx.DiGraph()
    graph.add_edges_from(edges)
    found: list[list[str]] = []
    for part in nx.strongly_connected_components(graph):
        if len(part) == 1 and not graph.has_edge(next(iter(part)), next(iter(part))):
            continue
        edges_round = nx.find_cycle(graph.subgraph(part))
        found.append([str(edge[0]) for edge in edges_round])
    return found
