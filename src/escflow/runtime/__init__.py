"""Running tickets: the engine, how actions are delivered, and the worker (the records
they make are :mod:`escflow.records`)."""

from escflow.runtime._actions import Actions, post_json
from escflow.runtime._engine import EVIDENCE, Engine, EvidenceKind
from escflow.runtime._history import History, TicketRecord, Visit, generate_history
from escflow.runtime._signing import SIGNATURE_HEADER, WebhookSecrets, sign_webhook, verify_webhook
from escflow.runtime._simulate import Row, Simulation, simulate
from escflow.runtime._worker import Round, Worker

__all__ = [
    "EVIDENCE",
    "SIGNATURE_HEADER",
    "Actions",
    "Engine",
    "EvidenceKind",
    "History",
    "Round",
    "Row",
    "Simulation",
    "TicketRecord",
    "Visit",
    "WebhookSecrets",
    "Worker",
    "generate_history",
    "post_json",
    "sign_webhook",
    "simulate",
    "verify_webhook",
]
