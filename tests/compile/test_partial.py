"""The partial matrix: which flows a file with errors concerns, and what still runs."""

from __future__ import annotations

from escflow.compile import check_paths
from tests.conftest import FLOW, MATRIX, Write

BROKEN_YAML = "escflow: 1\nkind: flow\nlevels: [\n  - level: 1\n"  # no id line before the break


def test_a_clean_check_gives_the_matrix_itself(write: Write) -> None:
    write("matrix.yaml", MATRIX)
    flow = write("f.yaml", FLOW)
    report = check_paths(flow.parent)
    assert report.partial is report.matrix
    assert report.partial is not None
    assert report.partial.broken == ()


def test_a_file_without_a_readable_id_concerns_the_flow_its_name_gives(write: Write) -> None:
    write("matrix.yaml", MATRIX)
    good = write("f.yaml", FLOW)
    broken = write("renamed.yaml", BROKEN_YAML)
    report = check_paths(good.parent)
    assert report.matrix is None
    assert report.partial is not None
    assert sorted(report.partial.flows) == ["f"]
    ((found),) = report.partial.broken
    assert (found.file, found.flows) == (str(broken), ("renamed",))
    assert [p.code for p in found.problems] == ["L004"]


def test_a_half_edited_copy_of_a_flow_does_not_stop_the_flow(write: Write) -> None:
    write("matrix.yaml", MATRIX)
    good = write("f.yaml", FLOW)
    write("copy.yaml", FLOW.replace("levels:\n", "levels: [\n"))  # declares 'id: f' too
    report = check_paths(good.parent)
    assert report.partial is not None
    assert sorted(report.partial.flows) == ["f"], "what runs once the copy is taken away"
    ((found),) = report.partial.broken
    assert found.flows == ("copy",)


def test_a_sound_flow_beside_a_broken_one_in_the_same_file_still_runs(write: Write) -> None:
    write("matrix.yaml", MATRIX)
    second = FLOW.replace("id: f", "id: g").replace("contact: lead", "contact: boss")
    both = write("both.yaml", f"{FLOW}---\n{second}")
    report = check_paths(both.parent)
    assert report.partial is not None
    assert sorted(report.partial.flows) == ["f"]
    ((found),) = report.partial.broken
    assert found.flows == ("g", "both")
    assert [p.code for p in found.problems] == ["E108"]
