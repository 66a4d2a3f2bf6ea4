from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.catalog import Catalog, load_catalog
from tests.helpers import SCHEMAS
from tests.postgres import Server, start_server


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(SCHEMAS)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read the developer's HUB_ settings by accident."""
    for name in list(os.environ):
        if name.startswith("HUB_"):
            monkeypatch.delenv(name)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server]:
    """One PostgreSQL server for the session, started on first use (`tests/postgres.py`)."""
    server = start_server()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.directory, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: Server) -> str:
    """A URL to a new, empty database of its own on the session's server."""
    return postgres_server.url(postgres_server.create_database())
