"""Fixtures for the diagram tests: the shipped matrix, compiled once."""

from __future__ import annotations

import pytest

from escflow import Matrix, load_matrix
from tests.conftest import FLOWS


@pytest.fixture(scope="session")
def matrix() -> Matrix:
    """The definitions in flows/, compiled."""
    return load_matrix(FLOWS)
