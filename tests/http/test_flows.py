"""The flows API: the list, one compiled flow, its diagram, and reloading on request."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import FLOWS
from tests.http.conftest import Api, running

FLOW_IDS = sorted(p.stem for p in FLOWS.glob("*.yaml") if p.stem != "matrix")


def test_the_list_has_every_flow_by_id(api: Api) -> None:
    listed = api.client.get("/api/v1/flows").json()
    assert [f["id"] for f in listed["flows"]] == FLOW_IDS
    assert listed["loaded_at"] == "2026-11-23T09:00:00Z"


def test_a_flow_has_its_windows_as_written_and_per_priority(api: Api) -> None:
    flow = api.client.get("/api/v1/flows/complaint").json()
    levels = {level["id"]: level for level in flow["levels"]}
    assert levels["level-1"]["window"] == {
        "window": "15-30 minutes",
        "min": "15 minutes",
        "max": "30 minutes",
    }
    # high halves the windows (matrix.yaml: factor 0.5): 30 minutes - 1 hour becomes 15-30.
    high = levels["level-2"]["windows"]["high"]
    assert (high["min"], high["max"]) == ("15 minutes", "30 minutes")
    # critical has its own window at level 3 (complaint.yaml), not 1-2 hours x 0.25.
    critical = levels["level-3"]["windows"]["critical"]
    assert (critical["min"], critical["max"]) == ("15 minutes", "30 minutes")
    assert levels["level-1"]["contact_id"] == "representative"
    steps = {s["id"]: s for s in flow["steps"]}
    assert [t["id"] for t in steps["level-1"]["triggers"]][:3] == [
        "unable-to-solve",
        "asks-for-manager",
        "solved",
    ]
    sla = {p["id"]: (p["first_response"], p["resolution"]) for p in flow["priorities"]}
    assert sla["medium"] == ("1 hour", "3 business days")
    assert flow["timezone"] == "Europe/Paris"
    listed = {f["id"]: f["digest"] for f in api.client.get("/api/v1/flows").json()["flows"]}
    assert flow["digest"] == listed["complaint"]
    assert [v["digest"] for v in flow["versions"] if v["running"]] == [flow["digest"]]


def test_an_unknown_flow_is_404_naming_the_close_one(api: Api) -> None:
    answer = api.client.get("/api/v1/flows/complain")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert "did you mean 'complaint'" in answer.json()["detail"]


def test_the_diagram_is_svg_and_draws_a_tickets_path(api: Api) -> None:
    plain = api.client.get("/api/v1/flows/complaint/diagram.svg")
    assert plain.status_code == 200
    assert plain.headers["content-type"] == "image/svg+xml"
    assert b"<svg" in plain.content
    api.client.post("/api/v1/tickets", json={"flow": "complaint", "id": "T-1"})
    api.client.post("/api/v1/tickets/T-1/fire", json={"trigger": "asks-for-manager"})
    lit = api.client.get("/api/v1/flows/complaint/diagram.svg", params={"ticket": "T-1"})
    assert lit.status_code == 200
    assert lit.content != plain.content
    # The trigger taken, drawn with its time in the calendar's (09:00 UTC is 10:00 in
    # Paris in November; dot writes '-' as &#45;).
    assert b"taken 2026&#45;11&#45;23 10:00 +01:00" in lit.content
    assert b"taken" not in plain.content


def test_a_diagram_of_another_flows_ticket_is_refused(api: Api) -> None:
    api.client.post("/api/v1/tickets", json={"flow": "complaint", "id": "T-1"})
    answer = api.client.get("/api/v1/flows/helpdesk/diagram.svg", params={"ticket": "T-1"})
    assert answer.status_code == 422
    assert "/api/v1/flows/complaint/diagram.svg?ticket=T-1" in answer.json()["detail"]


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "flows"
    shutil.copytree(FLOWS, folder)
    return folder


def test_reload_runs_the_edited_flow_and_says_which_changed(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    with running(f"sqlite:///{tmp_path / 'db.sqlite'}", flows=[folder]) as api:
        api.client.post("/api/v1/tickets", json={"flow": "complaint", "id": "OLD"})
        before = api.client.get("/api/v1/flows/complaint").json()["digest"]
        path = folder / "complaint.yaml"
        path.write_text(path.read_text().replace("window: 15-30 minutes", "window: 20-40 minutes"))
        unchanged = api.client.get("/api/v1/flows/complaint").json()["digest"]
        assert unchanged == before  # never reloaded behind the operator's back
        done = api.client.post("/api/v1/flows/reload")
        assert done.status_code == 200
        assert done.json()["changed"] == ["complaint"]
        after = done.json()["versions"]["complaint"]
        assert after != before
        new = api.client.post("/api/v1/tickets", json={"flow": "complaint", "id": "NEW"})
        # 20-40 minutes from 09:00 UTC: the new ticket escalates at 09:40.
        assert new.json()["ticket"]["deadline"]["utc"] == "2026-11-23T09:40:00Z"
        old = api.client.get("/api/v1/tickets/OLD").json()
        assert (old["digest"], old["deadline"]["utc"]) == (before, "2026-11-23T09:30:00Z")
        versions = api.client.get("/api/v1/flows/complaint").json()["versions"]
        assert [(v["digest"], v["running"]) for v in versions] == [(before, False), (after, True)]


def test_a_reload_with_errors_is_422_and_the_flows_run_on(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    with running(f"sqlite:///{tmp_path / 'db.sqlite'}", flows=[folder]) as api:
        before = api.client.get("/api/v1/flows/complaint").json()["digest"]
        path = folder / "complaint.yaml"
        path.write_text(path.read_text().replace("window: 15-30 minutes", "window: soon"))
        answer = api.client.post("/api/v1/flows/reload")
        assert answer.status_code == 422
        problems = answer.json()["problems"]
        assert any(p["file"].endswith("complaint.yaml") and p["line"] > 0 for p in problems)
        assert api.client.get("/api/v1/flows/complaint").json()["digest"] == before
        opened = api.client.post("/api/v1/tickets", json={"flow": "complaint"})
        assert opened.status_code == 201
