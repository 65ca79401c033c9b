"""What the benchmarks share: the flows they run and the worker command line they start."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOWS = ROOT / "flows"


def worker_command(url: str, actions_log: str, batch: int) -> list[str]:
    """``escflow worker`` on ``url`` and the repository's flows, as an operator starts it."""
    return [
        sys.executable,
        "-m",
        "escflow",
        "worker",
        "--db",
        url,
        "--flows",
        str(FLOWS),
        "--actions-log",
        actions_log,
        "--batch",
        str(batch),
        "--log-unhandled",
    ]
