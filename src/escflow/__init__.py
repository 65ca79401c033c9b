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
    DefinitionError,
    DuplicateTicket,
    EscflowError,
    InvalidTrigger,
    RuntimeFlowError,
    TicketClosed,
    TimeError,
    UnknownHandler,
    UnknownTicket,
    UnknownTrigger,
)
from escflow.io import json_schema
from escflow.problems import Problem
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
from escflow.timing import Duration

__version__ = "0.1.0"

__all__ = [
    "Calendar",
    "CompiledFlow",
    "CompiledLevel",
    "CompiledStep",
    "CompiledTrigger",
    "Contact",
    "DefinitionError",
    "DuplicateTicket",
    "Duration",
    "EffectivePriority",
    "EscflowError",
    "FlowDoc",
    "HandlerAction",
    "InvalidTrigger",
    "Level",
    "Matrix",
    "MatrixDoc",
    "NotifyAction",
    "Priority",
    "PriorityOverride",
    "Problem",
    "Report",
    "RuntimeFlowError",
    "Shift",
    "SlaTarget",
    "Step",
    "TicketClosed",
    "TimeError",
    "Trigger",
    "UnknownHandler",
    "UnknownTicket",
    "UnknownTrigger",
    "WebhookAction",
    "Window",
    "__version__",
    "check_paths",
    "compile_flow",
    "json_schema",
    "load_matrix",
]
