"""Fixtures of the browser tests: Debian's Chromium (never a downloaded browser), one real
stack for the whole browser run (started on free ports with databases of its own), and fresh
pages that fail the test on any script error or Content-Security-Policy violation."""

from __future__ import annotations

import shutil
from contextlib import closing
from pathlib import Path

import pytest
from playwright.sync_api import Page
from sqlite_utils import Database

from intake import migrations
from scripts.running_stack import RunningStack

# Debian's Chromium (scripts/setup.sh installs it where missing); never a downloaded browser.
CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's browser, but Debian's Chromium: no downloaded browser."""
    if not CHROMIUM.exists():
        pytest.fail(
            "Chromium is not installed: run `make setup` as root or "
            "`sudo apt-get install -y chromium`, then retry."
        )
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    state = tmp_path_factory.mktemp("browser-stack")
    # The intake database is created before the stack starts: two gunicorn workers migrating
    # a brand-new database at the same moment can fail with "database is locked".
    with closing(Database(state / "intake.db")) as db:
        db.enable_wal()
        migrations.apply(db)
    # Generous chat rate limits: one test client sends every message from one address, faster
    # than a patient types.
    running = RunningStack(
        state, {"CHAT_RATE_PER_CONVERSATION": "200/minute", "CHAT_RATE_PER_ADDRESS": "600/minute"}
    )
    try:
        running.wait_ready()
        yield running
    finally:
        running.stop()


@pytest.fixture
def web(stack):
    return lambda path: stack.url("WEB_PORT", path)


@pytest.fixture
def new_page(browser):
    """Pages in fresh browser contexts (no storage shared); at the end, no script errors and
    no Content-Security-Policy violations on any of them (except where axe-core, which adds
    inline styles of its own while it scans, has run: `check_csp=False`). Other keywords go
    to the context (`device_scale_factor=2`: a zoomed screen)."""
    contexts, problems = [], []

    def make(viewport: dict, check_csp: bool = True, **context_options) -> Page:
        context = browser.new_context(viewport=viewport, **context_options)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        if check_csp:
            page.on(
                "console",
                lambda message: (
                    problems.append(message.text)
                    if "Content Security Policy" in message.text
                    else None
                ),
            )
        return page

    yield make
    for context in contexts:
        context.close()
    assert problems == []
