"""SQLite files other processes own (Rasa's tracker store, the action server's outbox), opened
by their path: read-only unless asked, never created."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def existing_table(
    path: Path, table: str, *, mode: str = "ro", **connect: object
) -> Iterator[sqlite3.Connection | None]:
    """A connection to the file at `path` (`mode`: SQLite's URI mode, "ro" or "rw", or "" for
    the default), or None when the file or its `table` is not there yet. `connect` goes to
    sqlite3.connect (timeout, isolation_level...)."""
    if not path.is_file():
        yield None
        return
    uri = path.resolve().as_uri() + (f"?mode={mode}" if mode else "")
    connection = sqlite3.connect(uri, uri=True, **connect)
    try:
        found = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [table]
        ).fetchone()
        yield connection if found else None
    finally:
        connection.close()
