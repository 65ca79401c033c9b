"""Where tickets live: the store protocol and its implementations."""

from escflow.store._memory import MemoryStore
from escflow.store._protocol import KeyRecord, Store, Write

__all__ = ["KeyRecord", "MemoryStore", "Store", "Write"]
