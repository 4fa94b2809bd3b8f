"""The whole stack, started once for each test module that asks for it, on free ports with
state of its own (scripts/running_stack.py), and stopped after the module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scripts.running_stack import RunningStack


@pytest.fixture(scope="module")
def stack(request, tmp_path_factory) -> Iterator[RunningStack]:
    running = RunningStack(tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]))
    try:
        running.wait_ready()
        yield running
    finally:
        running.stop()
