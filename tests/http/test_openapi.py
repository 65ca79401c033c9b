"""The OpenAPI document: committed to the repository, served at /api/v1/openapi.json, and
saying every refusal is a problem document."""

from __future__ import annotations

import json

from escflow.http import openapi_text
from tests.conftest import ROOT
from tests.http.conftest import Api

COMMITTED = ROOT / "schema" / "openapi.json"


def test_the_committed_document_is_current() -> None:
    assert openapi_text() == COMMITTED.read_text(encoding="utf-8"), (
        "schema/openapi.json is stale: run 'escflow serve --openapi > schema/openapi.json'"
    )


def test_the_server_serves_the_committed_document(sqlite_api: Api) -> None:
    answer = sqlite_api.client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    assert answer.json() == json.loads(COMMITTED.read_text(encoding="utf-8"))


def test_it_is_openapi_3_1_and_every_refusal_is_a_problem() -> None:
    doc = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert doc["openapi"].startswith("3.1")
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                if int(code) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], (
                        method,
                        path,
                        code,
                    )
            if operation.get("security"):
                assert {"401", "403"} <= set(operation["responses"]), (method, path)
