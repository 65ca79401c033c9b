"""Running tickets: the engine, its records, and how actions are delivered."""

from escflow.records import Action, Change, Event, EventKind, Ticket, apply, replay
from escflow.runtime._actions import Actions, post_json
from escflow.runtime._engine import EVIDENCE, Engine, EvidenceKind
from escflow.runtime._simulate import Row, Simulation, simulate

__all__ = [
    "EVIDENCE",
    "Action",
    "Actions",
    "Change",
    "Engine",
    "Event",
    "EventKind",
    "EvidenceKind",
    "Row",
    "Simulation",
    "Ticket",
    "apply",
    "post_json",
    "replay",
    "simulate",
]
