"""Running tickets: the engine, its records, how actions are delivered, and the worker."""

from escflow.records import Action, Change, Event, EventKind, Ticket, apply, replay
from escflow.runtime._actions import Actions, post_json
from escflow.runtime._engine import EVIDENCE, Engine, EvidenceKind
from escflow.runtime._simulate import Row, Simulation, simulate
from escflow.runtime._worker import Round, Worker

__all__ = [
    "EVIDENCE",
    "Action",
    "Actions",
    "Change",
    "Engine",
    "Event",
    "EventKind",
    "EvidenceKind",
    "Round",
    "Row",
    "Simulation",
    "Ticket",
    "Worker",
    "apply",
    "post_json",
    "replay",
    "simulate",
]
