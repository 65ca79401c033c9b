"""The shipped flows say what the escalation matrix of the source article says."""

from __future__ import annotations

import pytest

from escflow import Matrix, load_matrix
from escflow.spec import NotifyAction
from tests.conftest import FLOWS

# The article's contact points and timelines (steps 2 and 3 of building the matrix).
LADDER = [
    (1, "Call centre representative", "15-30 minutes"),
    (2, "Call centre support manager", "30 minutes - 1 hour"),
    (3, "Account manager", "1-2 hours"),
    (4, "Sales manager", "2-5 hours"),
    (5, "Director of sales and operations", "1-2 business days"),
    (6, "Stakeholder", "1-3 business days"),
    (7, "Senior management", "until resolution"),
]
CATEGORIES = [
    "complaint",
    "product-question",
    "order-status",
    "billing-payment",
    "account-access",
    "follow-up-call",
    "it-request",
    "training-request",
]
# Step 4 of the article: the complaint's responses and triggers, level by level.
COMPLAINT = {
    1: (
        ["Customer states their problem"],
        ["Representative unable to solve the problem", "Customer asks to speak to a manager"],
    ),
    2: (
        ["Attempt a solution", "Collect contact details", "Follow up after internal review"],
        ["Solution unsuccessful", "Requires a specific department or skill"],
    ),
    3: (
        [
            "Review account details",
            "Communicate new information",
            "Outline a resolution plan",
            "Attempt a solution",
            "Create an incident report",
        ],
        [
            "Account closure threatened",
            "Potential switch to a competitor",
            "Bad review",
            "Problem remains unresolved",
        ],
    ),
    4: (
        [
            "Investigate the problem further",
            "Offer a financial incentive",
            "Document the conversation and issues",
        ],
        [
            "Problem unresolved",
            "Customer privacy/data threatened",
            "Customer files a formal complaint",
            "Customer asks to speak to the director",
        ],
    ),
    5: (
        ["Apologise", "Ask for feedback"],
        [
            "Customer demands a refund/cancellation",
            "No resolution possible",
            "Customer wants to keep the account",
        ],
    ),
    6: (
        [
            "Review previous attempts",
            "Offer refund or cancellation",
            "Speak to representatives",
            "Plan to improve the process",
        ],
        ["Senior management approval process required"],
    ),
    7: (
        [
            "Review the incident report",
            "Sign off on plans",
            "Redefine goals",
            "Hire experts to evaluate the new process",
        ],
        [],
    ),
}


@pytest.fixture(scope="module")
def matrix() -> Matrix:
    return load_matrix(FLOWS)


@pytest.mark.parametrize("category", CATEGORIES)
def test_customer_service_categories_have_the_seven_levels(matrix: Matrix, category: str) -> None:
    flow = matrix.flow(category)
    assert flow.issue_type == "customer-service"
    got = [(lv.number, lv.contact.name, str(lv.window)) for lv in flow.ladder]
    assert got == LADDER


def test_the_complaint_flow_has_every_response_and_trigger(matrix: Matrix) -> None:
    flow = matrix.flow("complaint")
    for level in flow.ladder:
        responses, triggers = COMPLAINT[level.number]
        steps = [flow.steps[s] for s in level.steps]
        labels = [
            r if isinstance(r, str) else (r.label or "") for step in steps for r in step.responses
        ]
        assert [label for label in labels if label in responses] == responses
        escalating = [
            t.label for step in steps for t in step.triggers if not t.implicit and not t.resolves
        ]
        assert escalating == triggers


def test_the_skill_trigger_is_a_functional_edge_to_billing(matrix: Matrix) -> None:
    flow = matrix.flow("complaint")
    [skill] = [t for t in flow.steps["level-2"].triggers if t.id == "needs-specialist"]
    assert skill.label == "Requires a specific department or skill"
    assert skill.kind == "functional"
    team = flow.level_of(skill.target)
    assert team.team
    assert team.contact.name == "Accounts & billing team"


def test_windows_escalate_automatically_except_the_last(matrix: Matrix) -> None:
    flow = matrix.flow("complaint")
    for level in flow.ladder[:-1]:
        timer = flow.steps[level.entry].timer
        assert timer is not None
        assert timer.automatic
        assert flow.level_of(timer.target).number == level.number + 1
    assert flow.steps[flow.ladder[-1].entry].timer is None


def test_every_issue_type_has_flows(matrix: Matrix) -> None:
    types = {flow.issue_type for flow in matrix.flows.values()}
    assert types == {"customer-service", "sla-violation", "it-project", "logistics-operations"}


def test_the_tiered_helpdesk_runs_from_tier_0_to_3(matrix: Matrix) -> None:
    flow = matrix.flow("helpdesk")
    assert [lv.number for lv in flow.ladder] == [0, 1, 2, 3]
    assert flow.entry() == flow.ladder[0].entry
    assert flow.level_of(flow.entry("critical")).number == 3


@pytest.mark.parametrize(
    ("flow_id", "language", "word"),
    [
        ("reclamation-fr", "fr", "Réclamation"),
        ("bantuan-id", "id", "Pelanggan"),
    ],
)
def test_flows_in_the_seed_languages(
    matrix: Matrix, flow_id: str, language: str, word: str
) -> None:
    flow = matrix.flow(flow_id)
    assert flow.language == language
    text = " ".join(
        [flow.name]
        + [t.label for s in flow.steps.values() for t in s.triggers]
        + [
            r if isinstance(r, str) else str(r.label or getattr(r, "message", ""))
            for s in flow.steps.values()
            for r in s.responses
        ]
    )
    assert word in text


def test_notifications_reach_known_contact_points(matrix: Matrix) -> None:
    for flow in matrix.flows.values():
        for step in flow.steps.values():
            for response in step.responses:
                if isinstance(response, NotifyAction) and response.notify != "customer":
                    assert response.notify in matrix.doc.contacts


def test_digests_pin_meaning_not_layout(tmp_path: pytest.TempPathFactory, matrix: Matrix) -> None:
    import shutil
    from pathlib import Path

    copy = Path(str(tmp_path)) / "flows"
    shutil.copytree(FLOWS, copy)
    path = copy / "complaint.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        "# a new comment\n"
        + text.replace("    window: 2-5 hours", "    window:   2-5 hours   # spaced"),
        encoding="utf-8",
    )
    same = load_matrix(copy)
    assert same.flow("complaint").digest == matrix.flow("complaint").digest
    path.write_text(text.replace("window: 2-5 hours", "window: 2-6 hours"), encoding="utf-8")
    changed = load_matrix(copy)
    assert changed.flow("complaint").digest != matrix.flow("complaint").digest
    assert changed.flow("order-status").digest == matrix.flow("order-status").digest
