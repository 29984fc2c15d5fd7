from __future__ import annotations

from typing import Any

import pytest

from motcua.supervision.tests.helpers import default_rules


@pytest.fixture
def rules(demo: Any) -> None:
    default_rules()
