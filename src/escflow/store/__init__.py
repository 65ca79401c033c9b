"""Where tickets live: the store protocol and its implementations."""

from escflow.store._codec import check_text, need_text
from escflow.store._memory import MemoryStore
from escflow.store._open import DEFAULT_URL, open_store, store_url, upgrade_store
from escflow.store._outbox import (
    UNSETTLED,
    Retried,
    discard_action,
    find_action,
    list_outbox,
    retry_actions,
)
from escflow.store._protocol import (
    Admin,
    KeyRecord,
    SlaFilter,
    Store,
    StoreAdmin,
    StoreCounts,
    TicketQuery,
    Write,
)
from escflow.store._redact import shown_url

__all__ = [
    "DEFAULT_URL",
    "UNSETTLED",
    "Admin",
    "KeyRecord",
    "MemoryStore",
    "Retried",
    "SlaFilter",
    "Store",
    "StoreAdmin",
    "StoreCounts",
    "TicketQuery",
    "Write",
    "check_text",
    "discard_action",
    "find_action",
    "list_outbox",
    "need_text",
    "open_store",
    "retry_actions",
    "shown_url",
    "store_url",
    "upgrade_store",
]
