"""Terminal tables. The only module that imports rich.

Every text from a definition (names, labels, reasons, windows) goes into the table as a
:class:`rich.text.Text`, never as a string: rich reads ``[...]`` in a string as markup
(``Billing [urgent] issues`` would lose a word, ``[/bold]`` would raise) and ``:smile:``
as an emoji code. Styles are added to the Text, not written into it. Rich prints escape
sequences as they are, so each text is first shown as the command line shows any text
(:func:`escflow.spec._chars.visible`: ``\x1b``, ``\u202e``).
"""

from __future__ import annotations

import shutil
import sys

from rich.console import Console
from rich.table import Table
from rich.text import Text

from escflow.runtime._simulate import Simulation
from escflow.spec._chars import visible
from escflow.views import MatrixTable


def print_matrix(table: MatrixTable) -> None:
    """Print the matrix as a table; wide enough to read when piped to a file."""
    width = shutil.get_terminal_size((200, 40)).columns if sys.stdout.isatty() else 200
    console = _console(max(width, 120), soft_wrap=False)
    grid = Table(title="Escalation matrix", show_lines=True)
    grid.add_column("Category", style="bold", min_width=16)
    for number in table.levels:
        grid.add_column(f"Level {number}", min_width=12)
    if any(row.teams for row in table.rows):
        grid.add_column("Functional teams", min_width=12)
    teams = any(row.teams for row in table.rows)
    current = None
    for row in table.rows:
        if row.issue_type != current:
            current = row.issue_type
            blank = [""] * (len(table.levels) + teams)
            grid.add_row(Text(f" {visible(row.issue_type)} ", style="reverse"), *blank)
        cells = [
            Text.assemble(visible(c.contact), "\n", (visible(c.window), "dim"))
            if (c := row.cells.get(n))
            else "-"
            for n in table.levels
        ]
        extra = [Text("\n".join(map(visible, row.teams)) or "-")] if teams else []
        grid.add_row(Text(visible(row.flow_name)), *cells, *extra)
    console.print(grid)


def print_timeline(result: Simulation) -> None:
    """Print a dry run's timeline: when, level, step, on duty, what happened and why."""
    console = _console(max(shutil.get_terminal_size((160, 40)).columns, 120))
    flow = result.flow
    grid = Table(
        title=Text(
            visible(
                f"{flow.name} ({flow.id}), priority {result.priority or '-'}, times in"
                f" {result.timezone}"
            )
        ),
        show_lines=False,
    )
    for column in (
        "When",
        "Level",
        "Step",
        "On duty",
        "What happened",
        "Why",
        "Next deadline",
        "Actions",
    ):
        grid.add_column(column, overflow="fold")
    for row in result.rows:
        cells = (
            row.local,
            row.level,
            row.step,
            row.on_duty or "-",
            row.what,
            row.why or "",
            row.next_local or "-",
        )
        actions = Text("\n".join(map(visible, row.actions)))  # a line per action
        grid.add_row(*(Text(visible(cell)) for cell in cells), actions)
    if result.targets:
        console.print(Text(visible(f"SLA: {'; '.join(t.text() for t in result.targets)}")))
    console.print(grid)
    console.print(Text(f"Ticket is {result.status}."))


def _console(width: int, *, soft_wrap: bool = False) -> Console:
    """A console that prints text as given: no markup, no emoji codes, no highlighting.

    The tables hold Text already; this also covers any plain string printed later.
    """
    return Console(width=width, highlight=False, soft_wrap=soft_wrap, markup=False, emoji=False)
