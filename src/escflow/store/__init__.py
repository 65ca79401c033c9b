"""Where tickets live: the store protocol and its implementations."""

from escflow.store._codec import check_text, need_text
from escflow.store._memory import MemoryStore
from escflow.store._open import DEFAULT_URL, open_store, store_url, upgrade_store
from escflow.store._protocol import KeyRecord, Store, Write
from escflow.store._redact import shown_url

__all__ = [
    "DEFAULT_URL",
    "KeyRecord",
    "MemoryStore",
    "Store",
    "Write",
    "check_text",
    "need_text",
    "open_store",
    "shown_url",
    "store_url",
    "upgrade_store",
]
