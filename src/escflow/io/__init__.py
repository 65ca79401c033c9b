"""Formats in and out of escflow: the JSON Schema, and spreadsheets (docs/sheets.md).

::

    from escflow import load_matrix
    from escflow.io import export_matrix, import_sheet

    result = import_sheet("matrix.xlsx", "flows")       # raises SheetError, writes nothing
    data = export_matrix(load_matrix("flows"), "xlsx")  # or "csv", "md", "html"
"""

from escflow.io._schema import json_schema, schema_text
from escflow.io._sheet_export import FORMATS as EXPORT_FORMATS
from escflow.io._sheet_export import export_matrix
from escflow.io._sheet_export import format_of as export_format
from escflow.io._sheet_import import SHEET_SUFFIXES, ImportResult, import_sheet
from escflow.io._sheet_template import template_bytes

__all__ = [
    "EXPORT_FORMATS",
    "SHEET_SUFFIXES",
    "ImportResult",
    "export_format",
    "export_matrix",
    "import_sheet",
    "json_schema",
    "schema_text",
    "template_bytes",
]
