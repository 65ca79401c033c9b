"""escflow: escalation matrices as code.

One YAML source per issue category becomes a checked definition, a runner that moves
tickets through it, and the flowchart trainers hand out. The names below are the
public API; everything in a module whose name starts with ``_`` is private.
"""

from escflow.compile import (
    CompiledFlow,
    CompiledLevel,
    CompiledStep,
    CompiledTrigger,
    EffectivePriority,
    Matrix,
    Report,
    check_paths,
    compile_flow,
    load_matrix,
)
from escflow.errors import (
    ConflictError,
    DamagedRecord,
    DefinitionError,
    DeliveryError,
    DuplicateTicket,
    EscflowError,
    InvalidTrigger,
    RenderError,
    RuntimeFlowError,
    StoreError,
    TicketClosed,
    TimeError,
    UnknownHandler,
    UnknownTicket,
    UnknownTrigger,
)
from escflow.io import json_schema
from escflow.problems import Problem
from escflow.records import Change, Event, Ticket
from escflow.runtime import Actions, Engine, Worker, simulate
from escflow.spec import (
    Calendar,
    Contact,
    FlowDoc,
    HandlerAction,
    Level,
    MatrixDoc,
    NotifyAction,
    Priority,
    PriorityOverride,
    Shift,
    SlaTarget,
    Step,
    Trigger,
    WebhookAction,
    Window,
)
from escflow.store import MemoryStore, Store
from escflow.timing import Clock, Duration, ManualClock, SystemClock

__version__ = "0.1.0"

__all__ = [
    "Actions",
    "Calendar",
    "Change",
    "Clock",
    "CompiledFlow",
    "CompiledLevel",
    "CompiledStep",
    "CompiledTrigger",
    "ConflictError",
    "Contact",
    "DamagedRecord",
    "DefinitionError",
    "DeliveryError",
    "DuplicateTicket",
    "Duration",
    "EffectivePriority",
    "Engine",
    "EscflowError",
    "Event",
    "FlowDoc",
    "HandlerAction",
    "InvalidTrigger",
    "Level",
    "ManualClock",
    "Matrix",
    "MatrixDoc",
    "MemoryStore",
    "NotifyAction",
    "Priority",
    "PriorityOverride",
    "Problem",
    "RenderError",
    "Report",
    "RuntimeFlowError",
    "Shift",
    "SlaTarget",
    "Step",
    "Store",
    "StoreError",
    "SystemClock",
    "Ticket",
    "TicketClosed",
    "TimeError",
    "Trigger",
    "UnknownHandler",
    "UnknownTicket",
    "UnknownTrigger",
    "WebhookAction",
    "Window",
    "Worker",
    "__version__",
    "check_paths",
    "compile_flow",
    "json_schema",
    "load_matrix",
    "simulate",
]
