"""Terminal tables. The only module that imports rich."""

from __future__ import annotations

import shutil
import sys

from rich.console import Console
from rich.table import Table

from escflow.runtime._simulate import Simulation
from escflow.views import MatrixTable


def print_matrix(table: MatrixTable) -> None:
    """Print the matrix as a table; wide enough to read when piped to a file."""
    width = shutil.get_terminal_size((200, 40)).columns if sys.stdout.isatty() else 200
    console = Console(width=max(width, 120), highlight=False, soft_wrap=False)
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
            grid.add_row(f"[reverse] {row.issue_type} [/reverse]", *blank)
        cells = [
            f"{c.contact}\n[dim]{c.window}[/dim]" if (c := row.cells.get(n)) else "-"
            for n in table.levels
        ]
        extra = ["\n".join(row.teams) or "-"] if teams else []
        grid.add_row(row.flow_name, *cells, *extra)
    console.print(grid)


def print_timeline(result: Simulation) -> None:
    """Print a dry run's timeline: when, level, step, on duty, what happened and why."""
    console = Console(width=max(shutil.get_terminal_size((160, 40)).columns, 120), highlight=False)
    flow = result.flow
    grid = Table(
        title=f"{flow.name} ({flow.id}), priority {result.priority or '-'}, times in"
        f" {result.timezone}",
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
        grid.add_row(
            row.local,
            row.level,
            row.step,
            row.on_duty or "-",
            row.what,
            row.why or "",
            row.next_local or "-",
            "\n".join(row.actions),
        )
    console.print(grid)
    console.print(f"Ticket is {result.status}.")
