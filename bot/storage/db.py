"""The SQLite connection and the migration runner."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

from bot.config import REPO_ROOT

log = logging.getLogger(__name__)

MIGRATIONS_DIR = REPO_ROOT / "migrations"
BUSY_TIMEOUT_MS = 15_000  # another writer (a backup, a second process) may hold the lock this long before we fail
_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(RuntimeError):
    """The database and the code disagree about the schema; the bot must not start."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found = []
    for path in sorted(directory.glob("*.sql")):
        m = _MIGRATION_NAME.match(path.name)
        if not m:
            raise MigrationError(f"migration file {path.name!r} is not named NNNN_name.sql")
        found.append(Migration(int(m.group(1)), m.group(2), path))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError("two migration files share a version number")
    return found


def split_statements(sql: str) -> list[str]:
    """Split a script into complete statements (triggers included) so each runs inside our transaction."""
    statements, buf = [], ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip().strip(";").strip():
                statements.append(buf.strip())
            buf = ""
    if buf.strip() and not all(ln.strip().startswith("--") or not ln.strip() for ln in buf.splitlines()):
        raise MigrationError(f"incomplete SQL statement at the end of a migration: {buf.strip()[:60]!r}")
    return statements


class Rows:
    """A statement's complete result, fetched in the same trip to the database thread as the statement.

    Looks like a cursor to the code that uses it: `await cur.fetchone()`, `await cur.fetchall()`,
    `cur.rowcount`, `cur.lastrowid`, and `async with conn.execute(...) as cur`.
    """

    __slots__ = ("rows", "rowcount", "lastrowid")

    def __init__(self, rows: list, rowcount: int, lastrowid: int | None):
        self.rows, self.rowcount, self.lastrowid = rows, rowcount, lastrowid

    async def fetchone(self):
        return self.rows[0] if self.rows else None

    async def fetchall(self) -> list:
        return self.rows

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> Rows:
        return self

    async def __aexit__(self, *exc) -> None:
        return None


class _Pending:
    """`conn.execute(...)` can be awaited or used with `async with`, like aiosqlite's."""

    __slots__ = ("_coro",)

    def __init__(self, coro):
        self._coro = coro

    def __await__(self):
        return self._coro.__await__()

    async def __aenter__(self) -> Rows:
        return await self._coro

    async def __aexit__(self, *exc) -> None:
        return None


class Conn:
    """The connection as transactions see it: each statement is one trip to aiosqlite's thread.

    aiosqlite runs every call (execute, then fetchone, then closing the cursor) as a separate trip
    to its worker thread, and each trip waits for a turn of the event loop; under load a handler's
    dozen statements became three dozen waits while holding the database lock. Here a statement and
    its whole result travel together, and BEGIN rides along with the first statement. This uses
    aiosqlite's `_execute` (run a function in its thread), which is why aiosqlite is pinned.
    """

    def __init__(self, conn: aiosqlite.Connection):
        self._conn = conn
        self._begin: str | None = None

    def _run(self, sql: str, params, many: bool = False) -> Rows:
        raw: sqlite3.Connection = self._conn._conn  # noqa: SLF001 (only ever used on aiosqlite's own thread)
        if self._begin is not None:
            raw.execute(self._begin)
            self._begin = None
        cur = raw.executemany(sql, params) if many else raw.execute(sql, params)
        try:
            return Rows(cur.fetchall(), cur.rowcount, cur.lastrowid)
        finally:
            cur.close()

    def execute(self, sql: str, params=()) -> _Pending:
        return _Pending(self._conn._execute(self._run, sql, params))  # noqa: SLF001

    def executemany(self, sql: str, seq) -> _Pending:
        return _Pending(self._conn._execute(self._run, sql, list(seq), True))  # noqa: SLF001

    async def execute_fetchall(self, sql: str, params=()) -> list:
        return (await self.execute(sql, params)).rows

    async def _flush_begin(self) -> None:
        if self._begin is not None:
            await self.execute("SELECT 1")


async def _connect(path: Path) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = aiosqlite.Row
    await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


class Database:
    """One aiosqlite connection in autocommit mode; `tx()` serialises transactions across tasks."""

    def __init__(self, conn: aiosqlite.Connection, path: Path, reader: aiosqlite.Connection | None = None):
        self.conn = conn
        self.path = path
        self._lock = asyncio.Lock()
        self._fast = Conn(conn)
        self._reader = reader
        self._read_conn = Conn(reader) if reader is not None else None

    @classmethod
    async def open(cls, path: Path) -> Database:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = await _connect(path)
        # WAL before the reader opens, so the reader finds the database in WAL mode.
        await conn.execute("PRAGMA journal_mode = WAL")
        # FULL: a committed answer survives power loss too, not only a killed process.
        await conn.execute("PRAGMA synchronous = FULL")
        await conn.execute("PRAGMA foreign_keys = ON")
        # Reads go through a second connection and thread: in WAL mode a reader sees only committed
        # data and never waits for the writer, so reads need no lock and do not queue behind writes.
        reader = await _connect(path)
        await reader.execute("PRAGMA query_only = ON")
        return cls(conn, path, reader)

    async def close(self) -> None:
        async with self._lock:
            if self._reader is not None:
                await self._reader.close()
            await self.conn.close()

    @asynccontextmanager
    async def tx(self) -> AsyncIterator[Conn]:
        """A write transaction (BEGIN IMMEDIATE): commits on success, rolls back on any exception."""
        async with self._lock:
            conn = self._fast
            conn._begin = "BEGIN IMMEDIATE"  # sent with the first statement
            try:
                yield conn
                await conn._flush_begin()  # a transaction with no statement still takes the write lock
            except BaseException:
                if conn._begin is None:
                    await self.conn.execute("ROLLBACK")
                conn._begin = None
                raise
            else:
                await self.conn.execute("COMMIT")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Conn]:
        """Reads on their own connection: they see committed data only, and wait for no writer.

        Each statement is its own snapshot; a read that needs several statements to agree belongs
        in `tx()`.
        """
        if self._read_conn is None:
            async with self._lock:
                yield self._fast
        else:
            yield self._read_conn

    async def migrate(self, migrations: list[Migration] | None = None) -> list[Migration]:
        """Apply pending migrations in order, each with its record in one transaction; return those applied."""
        migrations = discover() if migrations is None else migrations
        async with self._lock:
            await self.conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            async with self.conn.execute("SELECT version, name FROM schema_migrations ORDER BY version") as cur:
                applied = {row[0]: row[1] for row in await cur.fetchall()}
        known = {m.version for m in migrations}
        unknown = sorted(set(applied) - known)
        if unknown:
            names = ", ".join(f"{v:04d}_{applied[v]}" for v in unknown)
            raise MigrationError(
                f"the database {self.path} has migration(s) {names} that this version of mlsquiz does not know; "
                "run a newer mlsquiz or restore a backup"
            )
        done = []
        for m in migrations:
            if m.version in applied:
                continue
            statements = split_statements(m.sql)
            async with self.tx() as conn:
                for statement in statements:
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (m.version, m.name, datetime.now(UTC).isoformat()),
                )
            log.info("applied migration %04d_%s", m.version, m.name)
            done.append(m)
        return done

    async def schema_version(self) -> int:
        async with self.read() as conn, conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations") as cur:
            row = await cur.fetchone()
        return int(row[0])
