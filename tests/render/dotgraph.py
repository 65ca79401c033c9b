"""DOT read back through Graphviz's own parser, so tests assert structure, not text layout."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Edge:
    """One edge: its ends by node name, and its attributes as Graphviz read them."""

    tail: str
    head: str
    attrs: dict[str, str]

    @property
    def id(self) -> str:
        """The edge's ``id`` attribute ("" when it has none)."""
        return self.attrs.get("id", "")


@dataclass(frozen=True)
class DotGraph:
    """The parts of a parsed graph that the tests look at."""

    attrs: dict[str, str]
    nodes: dict[str, dict[str, str]]
    clusters: dict[str, dict[str, Any]]
    edges: list[Edge]

    def cluster_nodes(self, name: str) -> set[str]:
        """The names of the nodes inside a cluster."""
        return set(self.clusters[name]["nodes"])

    def edge(self, edge_id: str) -> Edge:
        """The edge with this id."""
        matches = [e for e in self.edges if e.id == edge_id]
        assert len(matches) == 1, f"{len(matches)} edges with id {edge_id}"
        return matches[0]


def _strings(item: dict[str, Any]) -> dict[str, str]:
    return {k: v for k, v in item.items() if isinstance(v, str)}


def parse(source: str) -> DotGraph:
    """Parse DOT with ``dot -Tjson0`` (the input graph, attributes as written)."""
    done = subprocess.run(
        ["dot", "-Tjson0"], input=source.encode(), capture_output=True, check=True
    )
    data = json.loads(done.stdout)
    objects: list[dict[str, Any]] = data.get("objects", [])
    # "objects" holds the subgraphs, then the nodes; lists of nodes and edge ends give
    # a node's _gvid.
    subgraphs, nodes = objects[: data["_subgraph_cnt"]], objects[data["_subgraph_cnt"] :]
    by_gvid = {node["_gvid"]: node["name"] for node in nodes}
    clusters = {
        sub["name"]: {**_strings(sub), "nodes": [by_gvid[i] for i in sub.get("nodes", [])]}
        for sub in subgraphs
        if str(sub["name"]).startswith("cluster_")
    }
    edges = [
        Edge(by_gvid[e["tail"]], by_gvid[e["head"]], _strings(e)) for e in data.get("edges", [])
    ]
    return DotGraph(_strings(data), {n["name"]: _strings(n) for n in nodes}, clusters, edges)
