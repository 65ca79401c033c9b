"""The starter workbook ``escflow import --template`` writes: the article's matrix.

It is a valid sheet as it stands (importing it gives a working matrix), so a team can
import it at once and then replace the example content with its own.
"""

from __future__ import annotations

from escflow.errors import ExportError
from escflow.io._sheet_book import Book, CellValue, Sheet
from escflow.io._sheet_layout import (
    CALENDARS,
    CATEGORIES,
    CATEGORY_PRIORITIES,
    COLUMNS,
    CONTACTS,
    HEADER_LABELS,
    ISSUE_TYPES,
    LEVELS,
    MATRIX,
    PRIORITIES,
    README,
    SETTINGS,
    level_label,
)

# Steps 2 and 3 of the article: the contact points and timelines of the seven levels.
_LADDER = (
    ("representative", "Call centre representative", "person", "15-30 minutes"),
    ("support-manager", "Call centre support manager", "person", "30 minutes - 1 hour"),
    ("account-manager", "Account manager", "team", "1-2 hours"),
    ("sales-manager", "Sales manager", "person", "2-5 hours"),
    ("director", "Director of sales and operations", "person", "1-2 business days"),
    ("stakeholder", "Stakeholder", "team", "1-3 business days"),
    ("senior-management", "Senior management", "team", "Resolution"),
)
_CATEGORIES = (
    ("Complaint about product quality or past customer service", "complaint"),
    ("Product/service question", "product-question"),
    ("Order status", "order-status"),
    ("Billing/payment", "billing-payment"),
    ("Account management and access", "account-access"),
    ("Follow-up call", "follow-up-call"),
    ("IT request", "it-request"),
    ("Training request", "training-request"),
)
# Step 4 of the article: the complaint's responses and triggers, as its table writes them.
_COMPLAINT: tuple[tuple[list[str], list[str]], ...] = (
    (
        ["Customer states their problem"],
        [
            "Representative unable to solve the problem",
            "Customer asks to speak to a manager",
        ],
    ),
    (
        ["Attempt a solution", "Collect contact details", "Follow up after internal review"],
        [
            "Solution unsuccessful",
            "Requires a specific department or skill",
        ],
    ),
    (
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
    (
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
    (
        ["Apologise", "Ask for feedback"],
        [
            "Customer demands a refund/cancellation",
            "No resolution possible",
            "Customer wants to keep the account",
        ],
    ),
    (
        [
            "Review previous attempts",
            "Offer refund or cancellation",
            "Speak to representatives",
            "Plan to improve the process",
        ],
        ["Senior management approval process required"],
    ),
    (
        [
            "Review the incident report",
            "Sign off on plans",
            "Redefine goals",
            "Hire experts to evaluate the new process",
        ],
        [],
    ),
)
_README = """\
How to fill in this workbook (the full description is docs/sheets.md in escflow).

Matrix (the first sheet): the article's table. Row 1 names the levels ('Level 1'...),
row 2 their contact points, row 3 their timelines ('15-30 minutes', '1-2 business days',
'Resolution'); then one row per category. A category's cell may list the level's
responses and triggers as the article does ('Response:' lines, then 'Triggers:' lines),
or stay empty; write '—' for a level the category skips. Another block of three header
rows starts a second table for categories with other levels.

Levels: one row per category and level (or step, or team) with line-separated lists of
responses and triggers. A trigger line may end with options in brackets:
    Problem solved [solved; to: resolved]
    Customer asks for a manager [asks-for-manager; reason: you asked for a manager]
    Unresolved at the end of the window [timeout; automatic]
A response line may be an action:
    Complaint $ticket needs you: $reason [notify: support-manager]
    Post on the status page [webhook: https://status.example.com/hook]
    Create an incident report [handler: create-incident-report; with: severity=2]
A row with a Team id is a functional team beside that level (give its contact point
and timeline); a row with a Step id is one step of a level with several.

Categories, Category priorities, Contacts, Calendars, Priorities, Issue types and
Settings hold the rest; each column is optional unless the sheet needs it.

Import with:  escflow import this-file.xlsx -o flows/
"""


def template_book() -> Book:
    """The template as a book (written as .xlsx or .csv by the caller)."""
    book = Book("template")
    book.sheets.append(_matrix())
    levels = _table(LEVELS)
    _row(
        levels,
        {
            "Category": "Billing/payment",
            "Level": level_label(1),
            "Responses": "Verify the caller's identity\nExplain the invoice lines and due dates",
            "Triggers": "Question answered [answered; to: resolved]\nQuestion about an invoice"
            " or a payment [billing-question; to: billing; reason: our billing team handles"
            " invoices]",
        },
    )
    _row(
        levels,
        {
            "Category": "Billing/payment",
            "Level": level_label(2),
            "Team": "billing",
            "Contact point": "Accounts & billing team",
            "Timeline": "1-2 hours",
            "Escalates to": level_label(3),
            "Responses": "Review invoices and payments\nOur billing team now handles $ticket"
            " [notify: customer]",
            "Triggers": "Billing corrected [billing-corrected; to: resolved]\nDispute about the"
            " contract [needs-account-manager; to: level-3]",
        },
    )
    book.sheets.append(levels)
    categories = _table(CATEGORIES)
    for name, key in _CATEGORIES:
        _row(categories, {"Category": name, "Id": key, "Issue type": "Customer service requests"})
    book.sheets.append(categories)
    targets = _table(CATEGORY_PRIORITIES)
    for priority, first, resolution in (
        ("Low", "4 hours", "5 business days"),
        ("Medium", "1 hour", "3 business days"),
        ("High", "30 minutes", "2 business days"),
        ("Critical", "15 minutes", "1 business day"),
    ):
        _row(
            targets,
            {
                "Category": _CATEGORIES[0][0],
                "Priority": priority,
                "First response": first,
                "Resolution": resolution,
            },
        )
    book.sheets.append(targets)
    contacts = _table(CONTACTS)
    for key, name, kind, _ in _LADDER:
        _row(contacts, {"Id": key, "Name": name, "Kind": kind})
    _row(
        contacts,
        {
            "Id": "accounts-billing",
            "Name": "Accounts & billing team",
            "Kind": "team",
            "Email": "billing@example.com",
        },
    )
    book.sheets.append(contacts)
    calendars = _table(CALENDARS)
    _row(calendars, {"Id": "office", "Time zone": "UTC", "Hours": "mon-fri: 09:00-17:00"})
    book.sheets.append(calendars)
    priorities = _table(PRIORITIES)
    for key, name, entry, factor in (
        ("low", "Low", None, 1.5),
        ("medium", "Medium", None, None),
        ("high", "High", level_label(2), 0.5),
        ("critical", "Critical", level_label(3), 0.25),
    ):
        _row(priorities, {"Id": key, "Name": name, "Entry level": entry, "Factor": factor})
    book.sheets.append(priorities)
    issue_types = _table(ISSUE_TYPES)
    _row(issue_types, {"Id": "customer-service", "Name": "Customer service requests"})
    book.sheets.append(issue_types)
    settings = _table(SETTINGS)
    for name, value in (
        ("Name", "Customer support escalation matrix"),
        ("Calendar", "office"),
        ("Default priority", "Medium"),
    ):
        settings.append([name, value])
    book.sheets.append(settings)
    readme = Sheet(README)
    for line in _README.splitlines():
        readme.append([line])
    book.sheets.append(readme)
    return book


def _matrix() -> Sheet:
    sheet = Sheet(MATRIX)
    sheet.append(
        [HEADER_LABELS[0], *(level_label(n + 1) for n in range(len(_LADDER)))], heading=True
    )
    sheet.append([HEADER_LABELS[1], *(name for _, name, _, _ in _LADDER)], heading=True)
    sheet.append([HEADER_LABELS[2], *(timeline for *_, timeline in _LADDER)], heading=True)
    complaint: list[CellValue] = [_CATEGORIES[0][0]]
    for responses, triggers in _COMPLAINT:
        text = "Response:\n" + "\n".join(responses)
        if triggers:
            text += "\nTriggers:\n" + "\n".join(triggers)
        complaint.append(text)
    sheet.append(complaint)
    for name, _ in _CATEGORIES[1:]:
        sheet.append([name])
    return sheet


def _table(name: str) -> Sheet:
    sheet = Sheet(name)
    sheet.append(list(COLUMNS[name]), heading=True)
    return sheet


def _row(sheet: Sheet, values: dict[str, CellValue]) -> None:
    sheet.append([values.get(column) for column in COLUMNS[sheet.name]])


def template_bytes(fmt: str = "xlsx") -> bytes:
    """The template as ``xlsx`` or ``csv`` bytes."""
    if fmt == "csv":
        from escflow.io._sheet_csv import write_csv

        return write_csv(template_book())
    if fmt != "xlsx":
        raise ExportError(f"the template is written as xlsx or csv, not '{fmt}'")
    from escflow.io._sheet_xlsx import write_xlsx

    return write_xlsx(template_book())
