"""A consistent copy of the live database, safe to take while the bot runs."""

from __future__ import annotations

import sqlite3
from pathlib import Path


class BackupError(RuntimeError):
    pass


def backup(source: Path, target: Path) -> int:
    """Copy `source` to `target` with VACUUM INTO and check the copy; returns its size in bytes.

    VACUUM INTO reads inside one transaction, so the copy is a snapshot of a single moment even while
    the bot keeps writing (WAL lets both proceed), and it is compact. It refuses an existing target,
    which is what we want: a backup never overwrites anything.
    """
    if not source.exists():
        raise BackupError(f"no database at {source}")
    if target.exists():
        raise BackupError(f"{target} already exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=60)
    try:
        conn.execute("VACUUM INTO ?", (str(partial),))
    finally:
        conn.close()
    check = sqlite3.connect(partial)
    try:
        result = check.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        check.close()
    if result != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"the copy failed its integrity check: {result}")
    partial.rename(target)  # only a checked copy ever carries the name asked for
    return target.stat().st_size
