"""Formats in and out of escflow: the JSON Schema of the YAML format."""

from escflow.io._schema import json_schema, schema_text

__all__ = ["json_schema", "schema_text"]
