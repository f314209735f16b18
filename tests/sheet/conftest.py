"""The small fixture plan of tests/fixtures/mini_plan, loaded once, and its written site."""

from __future__ import annotations

from pathlib import Path

import pytest

from animato.plan import Inspection, Plan, inspect_plan
from animato.sheet import write_site

MINI_PLAN = Path(__file__).parent.parent / "fixtures" / "mini_plan"
YEAR = 2026


@pytest.fixture(scope="session")
def mini() -> Inspection:
    """The fixture plan, checked: it must load with no error."""
    result = inspect_plan(MINI_PLAN)
    assert result.errors == []
    return result


@pytest.fixture(scope="session")
def plan(mini: Inspection) -> Plan:
    """The fixture plan's model."""
    assert mini.plan is not None
    return mini.plan


@pytest.fixture(scope="session")
def site(mini: Inspection, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture plan's documentation site for 2026, written once."""
    out = tmp_path_factory.mktemp("site")
    index = write_site(mini, out, year=YEAR)
    assert index == out / "index.html"
    return out
