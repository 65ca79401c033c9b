"""The JSON Schema of the flow format, for editors (yaml-language-server) and tools."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from escflow.spec._models import Document

SCHEMA_ID = "https://escflow.dev/schema/escflow.schema.json"
SCHEMA_FILE = "escflow.schema.json"
"""The schema's file name beside imported flows, which their ``$schema`` comment names."""


def json_schema() -> dict[str, Any]:
    """The JSON Schema that both matrix and flow documents follow."""
    schema = TypeAdapter(Document).json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "escflow definitions (matrix or flow document)",
        **schema,
    }


def schema_text() -> str:
    """The schema as committed in ``schema/escflow.schema.json``: stable, indented."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def schema_beside(files: Iterable[Path]) -> dict[Path, bytes]:
    """The schema file for each folder ``files`` are in, so that the ``$schema`` comment
    of a file written there names a schema that is there."""
    text = schema_text().encode("utf-8")
    return {folder / SCHEMA_FILE: text for folder in dict.fromkeys(f.parent for f in files)}
