"""Importing sheets as teams write them: the article's table, the Levels sheet, notes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from escflow import load_matrix
from escflow.errors import SheetError
from escflow.io import import_sheet
from escflow.spec import HandlerAction, NotifyAction, WebhookAction
from tests.conftest import FLOWS
from tests.io.workbooks import write_workbook

HEADER = ["Escalation level", "Level 1", "Level 2", "Level 3"]
CONTACTS = ["Contact point", "Agent", "Team lead", "Manager"]
TIMELINES = ["Timeline", "15-30 minutes", "30 minutes-1 hour", "Resolution"]
ARTICLE_CSV = """\
Escalation level,Level 1,Level 2,Level 3
Contact point,Agent,Team lead,Manager
Timeline,15-30 minutes,1-2 business days,Resolution
Order status,,,
"Billing/payment","Response:
Check the invoice
Triggers:
Invoice explained [explained; to: resolved]",—,
"""


def test_comma_and_semicolon_csv_with_or_without_bom_read_the_same(tmp_path: Path) -> None:
    comma = tmp_path / "comma.csv"
    comma.write_text(ARTICLE_CSV, encoding="utf-8")
    semicolon = tmp_path / "semicolon.csv"
    semicolon.write_text(
        "\ufeff" + ARTICLE_CSV.replace(",", ";").replace("Check the invoice", "Check it, twice"),
        encoding="utf-8",
    )
    import_sheet(comma, tmp_path / "a")
    import_sheet(semicolon, tmp_path / "b")
    a, b = load_matrix(tmp_path / "a"), load_matrix(tmp_path / "b")
    assert sorted(a.flows) == sorted(b.flows) == ["billing-payment", "order-status"]
    assert b.flow("billing-payment").steps["level-1"].responses == ("Check it, twice",)


def test_an_article_only_sheet_gets_a_starter_matrix(tmp_path: Path) -> None:
    sheet = tmp_path / "matrix.csv"
    sheet.write_text(ARTICLE_CSV, encoding="utf-8")
    result = import_sheet(sheet, tmp_path / "flows")
    assert result.reused_matrix is None
    matrix = load_matrix(tmp_path / "flows")
    assert {k: c.name for k, c in matrix.doc.contacts.items()} == {
        "agent": "Agent",
        "team-lead": "Team lead",
        "manager": "Manager",
    }
    assert matrix.doc.calendar == "office"  # business days need a calendar
    text = (tmp_path / "flows" / "matrix.yaml").read_text(encoding="utf-8")
    assert "# A starter calendar: set your time zone" in text
    billing = matrix.flow("billing-payment")
    assert [level.number for level in billing.ladder] == [1, 3]  # "—" skips level 2
    assert [(t.id, t.target) for t in billing.steps["level-1"].triggers] == [
        ("explained", "resolved"),
        ("timeout", "level-3"),
    ]


def test_a_sheet_without_matrix_sheets_uses_the_folders_matrix(tmp_path: Path) -> None:
    folder = tmp_path / "flows"
    shutil.copytree(FLOWS, folder)
    before = (folder / "matrix.yaml").read_bytes()
    sheet = tmp_path / "new.csv"
    sheet.write_text(
        "Escalation level,Level 1,Level 2,Level 3\n"
        "Contact point,Call centre representative,support-manager,Account manager\n"
        "Timeline,15-30 minutes,1 hour,Resolution\n"
        "Callback request,,,\n"
        "\n[Categories]\nCategory,Issue type\nCallback request,Customer service requests\n",
        encoding="utf-8",
    )
    result = import_sheet(sheet, folder)
    assert result.reused_matrix == folder / "matrix.yaml"
    assert list(result.files) == [folder / "callback-request.yaml"]
    assert (folder / "matrix.yaml").read_bytes() == before
    flow = load_matrix(folder).flow("callback-request")
    assert [level.contact_id for level in flow.ladder] == [
        "representative",
        "support-manager",
        "account-manager",
    ]


def test_an_import_replaces_the_file_that_holds_the_flow(tmp_path: Path) -> None:
    folder = tmp_path / "flows"
    shutil.copytree(FLOWS, folder)
    (folder / "complaint.yaml").rename(folder / "10-complaint.yaml")
    sheet = tmp_path / "complaint.csv"
    sheet.write_text(
        "Escalation level,Level 1,Level 2,Level 3\n"
        "Contact point,representative,support-manager,account-manager\n"
        "Timeline,15-30 minutes,1 hour,Resolution\n"
        "Complaint,,,\n\n[Categories]\nCategory,Id,Issue type\n"
        "Complaint,complaint,customer-service\n",
        encoding="utf-8",
    )
    result = import_sheet(sheet, folder)
    assert list(result.files) == [folder / "10-complaint.yaml"]
    assert not (folder / "complaint.yaml").exists()
    assert load_matrix(folder).flow("complaint").name == "Complaint"


def test_a_dry_run_checks_and_writes_nothing(tmp_path: Path) -> None:
    sheet = tmp_path / "matrix.csv"
    sheet.write_text(ARTICLE_CSV, encoding="utf-8")
    result = import_sheet(sheet, tmp_path / "flows", dry_run=True)
    assert result.written == ()
    assert sorted(p.name for p in result.files) == [
        "billing-payment.yaml",
        "matrix.yaml",
        "order-status.yaml",
    ]
    assert not (tmp_path / "flows").exists()


def test_the_levels_sheet_carries_steps_teams_and_actions(tmp_path: Path) -> None:
    # Columns in any order; the ones a row does not need stay empty.
    columns = ["Category", "Level", "Team", "Step", "Step name", "Responses", "Triggers"]
    columns += ["Repeat", "Contact point", "Timeline", "Escalates to"]
    look_up_row = {
        "Step": "look-up",
        "Step name": "Look the order up",
        "Responses": "Find the order\n"
        "Order $ticket is late: $reason [notify: Team lead; channel: chat]",
        "Triggers": "Found [found; to: resolved]\nNot found [to: ask]\n"
        "Taking too long [slow; automatic]",
        "Repeat": 2,
    }
    ask_row = {
        "Step": "ask",
        "Responses": "Ask the carrier [webhook: https://carrier.example/track]\n"
        '[handler: open-case; with: priority=2, urgent=true, queue="2"]',
        "Triggers": "Carrier answered [answered; to: look-up]\n"
        'Needs the lead [to: Level 2; reason: "the carrier; again"]\n'
        "Lost parcel [lost; to: carrier-desk]",
    }
    desk_row = {
        "Level": "Level 2",
        "Team": "carrier-desk",
        "Responses": "Call the carrier",
        "Triggers": "Delivered [delivered; to: resolved]",
        "Contact point": "Manager",
        "Timeline": "1-2 hours",
        "Escalates to": "Level 3",
    }
    base = {"Category": "Order status", "Level": "Level 1"}
    levels = [columns] + [
        [{**base, **row}.get(column) for column in columns]
        for row in (look_up_row, ask_row, desk_row)
    ]
    path = write_workbook(
        tmp_path / "matrix.xlsx",
        {
            "Matrix": [HEADER, CONTACTS, TIMELINES, ["Order status"]],
            "Levels": levels,
        },
    )
    import_sheet(path, tmp_path / "flows")
    flow = load_matrix(tmp_path / "flows").flow("order-status")
    level_1 = flow.spec.levels[0]
    assert level_1.repeat == 2
    assert [s.id for s in level_1.steps or []] == ["look-up", "ask"]
    look_up, ask = flow.steps["look-up"], flow.steps["ask"]
    assert look_up.name == "Look the order up"
    notify = look_up.responses[1]
    assert isinstance(notify, NotifyAction)
    assert (notify.notify, notify.message, notify.channel) == (
        "team-lead",
        "Order $ticket is late: $reason",
        "chat",
    )
    assert [(t.id, t.target, t.automatic) for t in look_up.triggers] == [
        ("found", "resolved", False),
        ("not-found", "ask", False),
        ("slow", "level-2", True),
    ]
    webhook, handler = ask.responses
    assert isinstance(webhook, WebhookAction)
    assert webhook.label == "Ask the carrier"
    assert isinstance(handler, HandlerAction)
    assert handler.args == {"priority": 2, "urgent": True, "queue": "2"}
    assert [(t.target, t.reason) for t in ask.triggers if not t.implicit] == [
        ("look-up", None),
        ("level-2", "the carrier; again"),
        ("carrier-desk", None),
    ]
    team = flow.level("carrier-desk")
    assert (team.team, team.number, team.contact_id, str(team.window)) == (
        True,
        2,
        "manager",
        "1-2 hours",
    )
    assert flow.spec.teams[0].escalates_to == "level-3"


def test_notes_become_yaml_comments(tmp_path: Path) -> None:
    path = write_workbook(
        tmp_path / "matrix.xlsx",
        {
            "Matrix": [
                HEADER,
                CONTACTS,
                TIMELINES,
                ["Order status", None, "Response:\nCall back\nTriggers:\nDone [to: resolved]"],
            ]
        },
        notes={"Matrix": {"A4": "The most common call.", "C4": "Only on weekdays.\nAsk Ana."}},
    )
    import_sheet(path, tmp_path / "flows")
    text = (tmp_path / "flows" / "order-status.yaml").read_text(encoding="utf-8")
    assert text.startswith(
        "# yaml-language-server: $schema=escflow.schema.json\n# The most common call.\nescflow: 1\n"
    )
    assert "  # Only on weekdays.\n  # Ask Ana.\n  - level: 2\n" in text


def test_trigger_ids_come_from_labels_and_stay_unique(tmp_path: Path) -> None:
    sheet = tmp_path / "matrix.csv"
    sheet.write_text(
        "Escalation level,Level 1\nContact point,Agent\nTimeline,Resolution\n"
        '"Order status","Response: Look it up\nTriggers:\n• Solved! [to: resolved]\n'
        '• Solved? [to: resolved]\n• 해결 [to: resolved]\n• Délai dépassé [to: resolved]"\n',
        encoding="utf-8",
    )
    import_sheet(sheet, tmp_path / "flows")
    step = load_matrix(tmp_path / "flows").flow("order-status").steps["level-1"]
    assert [(t.id, t.label) for t in step.triggers] == [
        ("solved", "Solved!"),
        ("solved-2", "Solved?"),
        ("trigger-3", "해결"),
        ("delai-depasse", "Délai dépassé"),
    ]


@pytest.mark.parametrize(
    ("responses", "triggers"),
    [("Réponse :", "Déclencheurs :"), ("Tanggapan:", "Pemicu:"), ("Responses:", "Trigger:")],
)
def test_the_articles_section_words_in_its_languages(
    tmp_path: Path, responses: str, triggers: str
) -> None:
    sheet = tmp_path / "matrix.csv"
    sheet.write_text(
        "Escalation level,Level 1\nContact point,Agent\nTimeline,Resolution\n"
        f'"Order status","{responses}\nLook it up\n{triggers}\nSolved [to: resolved]"\n',
        encoding="utf-8",
    )
    import_sheet(sheet, tmp_path / "flows")
    step = load_matrix(tmp_path / "flows").flow("order-status").steps["level-1"]
    assert step.responses == ("Look it up",)
    assert [t.label for t in step.triggers] == ["Solved"]


def test_tiers_from_zero_and_a_title_row(tmp_path: Path) -> None:
    sheet = tmp_path / "matrix.csv"
    sheet.write_text(
        "Helpdesk escalation matrix,,\n\n"
        "Tier,Tier 0,Tier 1\nContact point,Chatbot,Agent\nTimeline,5-15 minutes,Resolution\n"
        "Password reset,,\n",
        encoding="utf-8",
    )
    import_sheet(sheet, tmp_path / "flows")
    flow = load_matrix(tmp_path / "flows").flow("password-reset")
    assert [(level.number, level.name) for level in flow.ladder] == [(0, "Chatbot"), (1, "Agent")]


def test_the_matrix_table_is_found_behind_a_read_me_sheet(tmp_path: Path) -> None:
    path = write_workbook(
        tmp_path / "matrix.xlsx",
        {
            "Read me": [["Fill in the matrix on the next sheet."]],
            "Escalation matrix": [HEADER, CONTACTS, TIMELINES, ["Order status"]],
        },
    )
    result = import_sheet(path, tmp_path / "flows")
    assert result.warnings == ()
    assert sorted(load_matrix(tmp_path / "flows").flows) == ["order-status"]


@pytest.mark.parametrize(
    ("sheet", "message"),
    [
        ("Issue types", "the category's issue type is empty; the Issue types sheet lists none"),
        ("Contacts", "'Agent' is not a contact point in the Contacts sheet"),
        ("Calendars", "no calendar applies"),
    ],
)
def test_an_empty_matrix_sheet_is_an_empty_table(sheet: str, message: str, tmp_path: Path) -> None:
    # A section with its name only: the sheet is there, with no header row and no rows.
    path = tmp_path / "matrix.csv"
    path.write_text(f"{ARTICLE_CSV}\n[{sheet}]\n", encoding="utf-8")
    with pytest.raises(SheetError) as caught:
        import_sheet(path, tmp_path / "flows")
    assert message in str(caught.value)
    assert not (tmp_path / "flows").exists()


def test_a_holiday_subdivision_without_a_country_is_named(tmp_path: Path) -> None:
    # Once dropped without a word: the calendar then had no public holidays at all.
    path = tmp_path / "matrix.csv"
    path.write_text(
        f"{ARTICLE_CSV}\n[Calendars]\nId,Time zone,Hours,Holidays,Holiday subdivision\n"
        "office,Europe/Paris,mon-fri: 09:00-17:00,,BY\n",
        encoding="utf-8",
    )
    with pytest.raises(SheetError) as caught:
        import_sheet(path, tmp_path / "flows")
    # Records 1-5 are the matrix table, 6 is blank, 7 names the section, 8 is its header.
    assert [(p.path, p.message) for p in caught.value.problems] == [
        (("Calendars!D9",), "missing required key 'country'")
    ]


def test_a_level_without_a_contact_point_is_said_once(tmp_path: Path) -> None:
    path = tmp_path / "matrix.csv"
    path.write_text(
        "Escalation level,Level 1,Level 2\nContact point,Agent,\nTimeline,1 hour,2 hours\nCat,,\n",
        encoding="utf-8",
    )
    with pytest.raises(SheetError) as caught:
        import_sheet(path, tmp_path / "flows")
    assert [(p.path, p.message) for p in caught.value.problems] == [
        (
            ("Matrix!C2",),
            "'Cat' uses Level 2, whose contact point is empty (write it, or '—' in this"
            " category's cell if it skips the level)",
        )
    ]
