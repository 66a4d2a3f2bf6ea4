from __future__ import annotations

import os
from pathlib import Path

import pytest

from hub.catalog import Catalog, load_catalog
from tests.helpers import SCHEMAS


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
