"""A ticket's path drawn over its flow: taken steps and edges stamped, where it is now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from escflow import Matrix, TimeError
from escflow.errors import RenderError
from escflow.render import TicketPath, flow_source, render_flow
from escflow.render._text import PATH
from tests.render.dotgraph import parse

START = datetime(2026, 3, 2, 9, 15, 42, tzinfo=UTC)


def billing_path(current: str | None = "billing") -> TicketPath:
    """Level 1 times out, level 2 sends the ticket to billing."""
    return TicketPath(
        "T-1042",
        visits=(
            ("level-1", START),
            ("level-2", START + timedelta(minutes=30)),
            ("billing", START + timedelta(minutes=52)),
        ),
        moves=(
            ("level-1", "timeout", "level-2", START + timedelta(minutes=30)),
            ("level-2", "needs-specialist", "billing", START + timedelta(minutes=52)),
        ),
        current=current,
    )


def test_taken_steps_and_edges_are_highlighted_and_stamped(matrix: Matrix) -> None:
    graph = parse(flow_source(matrix.flow("complaint"), path=billing_path()))
    # complaint's calendar is Europe/Paris: UTC+1 on 2 March.
    for step, at in [("level-1", "10:15"), ("level-2", "10:45"), ("billing", "11:07")]:
        assert graph.nodes[step]["color"] == PATH
        assert f"entered 2026-03-02 {at} +01:00" in graph.nodes[step]["label"]
    assert graph.nodes["level-3"]["color"] != PATH
    taken = graph.edge("trigger.level-2.needs-specialist")
    assert taken.attrs["color"] == PATH
    assert "taken 2026-03-02 11:07 +01:00" in taken.attrs["label"]
    assert "dashed" in graph.edge("trigger.level-1.timeout").attrs["style"]
    assert graph.edge("trigger.level-2.solved").attrs["color"] != PATH
    assert "Path of ticket T-1042" in graph.attrs["label"]


def test_where_the_ticket_is_now_is_marked_in_its_lane(matrix: Matrix) -> None:
    graph = parse(flow_source(matrix.flow("complaint"), path=billing_path()))
    now = graph.edge("path.now.edge")
    assert now.head == "billing"
    assert "T-1042" in graph.nodes[now.tail]["label"]
    assert now.tail in graph.cluster_nodes("cluster_billing")


def test_a_resolved_ticket_lights_its_resolved_terminal(matrix: Matrix) -> None:
    path = TicketPath(
        "T-7",
        visits=(("level-1", START),),
        moves=(("level-1", "solved", "resolved", START + timedelta(minutes=5)),),
        current=None,
    )
    graph = parse(flow_source(matrix.flow("complaint"), path=path))
    assert graph.nodes["resolved.level-1"]["color"] == PATH
    assert graph.nodes["resolved.level-2"]["color"] != PATH
    assert not [e for e in graph.edges if e.id == "path.now.edge"]


def test_times_are_printed_in_the_calendars_local_time_with_the_offset(matrix: Matrix) -> None:
    # Given in New York time; complaint's calendar is Europe/Paris, which moves to summer
    # time at 01:00 UTC on 29 March 2026: 00:30 UTC is 01:30 +01:00, 01:30 UTC 03:30 +02:00.
    new_york = timezone(timedelta(hours=-4))
    before = datetime(2026, 3, 28, 20, 30, 59, tzinfo=new_york)
    path = TicketPath(
        "T-8",
        visits=(("level-1", before), ("level-2", before + timedelta(hours=1))),
        moves=(("level-1", "timeout", "level-2", before + timedelta(hours=1)),),
    )
    graph = parse(flow_source(matrix.flow("complaint"), path=path))
    assert "entered 2026-03-29 01:30 +01:00" in graph.nodes["level-1"]["label"]
    assert "entered 2026-03-29 03:30 +02:00" in graph.nodes["level-2"]["label"]
    assert "taken 2026-03-29 03:30 +02:00" in graph.edge("trigger.level-1.timeout").attrs["label"]
    assert "times in Europe/Paris" in graph.nodes["legend."]["label"]


def test_a_flow_on_utc_shows_the_zero_offset(matrix: Matrix) -> None:
    flow = matrix.flow("sla-violation")  # its calendar, around-the-clock, is on UTC
    at = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
    path = TicketPath("T-10", visits=((flow.ladder[0].entry, at),))
    label = parse(flow_source(flow, path=path)).nodes[flow.ladder[0].entry]["label"]
    assert "entered 2026-03-02 09:15 +00:00" in label


def test_a_loop_taken_twice_shows_both_times(matrix: Matrix) -> None:
    later = START + timedelta(days=1)
    path = TicketPath(
        "T-9",
        visits=(("assess", START), ("replan", START), ("assess", later)),
        moves=(
            ("assess", "dependency-blocking", "replan", START),
            ("replan", "new-facts", "assess", START + timedelta(hours=2)),
            ("assess", "dependency-blocking", "replan", later),
        ),
        current="replan",
    )
    graph = parse(flow_source(matrix.flow("it-project"), path=path))
    label = graph.edge("trigger.assess.dependency-blocking").attrs["label"]
    assert label.count("taken ") == 2
    assert graph.nodes["assess"]["label"].count("entered ") == 2


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (TicketPath("T", visits=(("level-9", START),)), "visited step 'level-9' is not in"),
        (
            TicketPath("T", moves=(("level-1", "fly", "level-2", START),)),
            "step 'level-1' has no trigger 'fly'",
        ),
        (
            TicketPath("T", moves=(("level-1", "solved", "level-2", START),)),
            "trigger 'solved' from 'level-1' goes to 'resolved', not 'level-2'",
        ),
        (TicketPath("T", moves=(("nowhere", "x", "y", START),)), "move from unknown step"),
        (TicketPath("T", current="level-0"), "current step 'level-0' is not in the flow"),
    ],
)
def test_a_path_that_does_not_fit_the_flow_is_refused(
    matrix: Matrix, path: TicketPath, message: str
) -> None:
    with pytest.raises(RenderError, match=message):
        render_flow(matrix.flow("complaint"), "dot", path=path)


def test_naive_times_are_refused() -> None:
    with pytest.raises(TimeError, match="naive datetime"):
        TicketPath("T", visits=(("level-1", datetime(2026, 3, 2, 9, 15)),))
