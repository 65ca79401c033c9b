"""schemathesis against a live server, from the committed OpenAPI document: whatever the
requests hold, no answer is a 5xx, and every answer matches what the document says
(its status, media type and body schema)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import ROOT
from tests.http.conftest import Api, running

SCHEMA = schemathesis.openapi.from_path(ROOT / "schema" / "openapi.json")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    with running(f"sqlite:///{folder / 'escflow.db'}") as api:
        # A ticket to find: the fuzzer's ids are mostly unknown ones.
        api.client.post("/api/v1/tickets", json={"flow": "complaint", "id": "T-1"})
        yield api


@SCHEMA.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_answer_is_a_5xx_and_each_matches_the_document(
    case: schemathesis.Case[Any], live: Api
) -> None:
    case.call_and_validate(base_url=live.url, checks=CHECKS, timeout=30)
