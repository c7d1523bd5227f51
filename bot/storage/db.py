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
from bot.storage.dialect import sqlite_statement

log = logging.getLogger(__name__)

MIGRATIONS_DIR = REPO_ROOT / "migrations"
BUSY_TIMEOUT_MS = 15_000  # another writer (a backup, a second process) may hold the lock this long before we fail
_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(RuntimeError):
    """The database and the code disagree about the schema; the bot must not start."""


class DatabaseUnavailable(RuntimeError):
    """The database server cannot be reached or refuses us (the message names it without a password)."""


FOREIGN_KEYS_OFF = "-- mlsquiz: foreign-keys-off"  # first line of a migration that rebuilds a table


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def rebuilds_tables(self) -> bool:
        """Dropping a table that others reference would run their ON DELETE actions: such a file runs with
        foreign keys off, and they are checked before it commits (SQLite's procedure for changing a table)."""
        return self.sql.startswith(FOREIGN_KEYS_OFF)


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

    dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection):
        self._conn = conn
        # Transaction control (BEGIN, SAVEPOINT, RELEASE) that rides along with the next statement.
        self.pending: list[str] = []

    def _run(self, sql: str, params, many: bool = False) -> Rows:
        raw: sqlite3.Connection = self._conn._conn  # noqa: SLF001 (only ever used on aiosqlite's own thread)
        while self.pending:
            raw.execute(self.pending[0])
            del self.pending[0]  # only once it ran: a BEGIN that timed out is tried again by the next statement
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

    async def settle(self) -> None:
        """Return once every statement sent so far has finished on the database thread."""
        await asyncio.shield(self._conn._execute(_nothing))  # noqa: SLF001


def _nothing() -> None:
    return None


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
        self._batch: asyncio.Future[None] | None = None  # the open group commit: resolved once it is durable
        self._batch_error: BaseException | None = None  # set when SQLite itself dropped the open transaction
        self._committer: asyncio.Task[None] | None = None
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
            await self._finish_batch()
            if self._reader is not None:
                await self._reader.close()
            await self.conn.close()

    @asynccontextmanager
    async def tx(self) -> AsyncIterator[Conn]:
        """A write transaction: all of it or none of it, and durable (committed) when the block has exited.

        Group commit: transactions queued for the writer while one runs share one SQLite transaction,
        each inside its own SAVEPOINT, and one COMMIT (one fsync) ends them all once that queue has had
        its turn. Every caller waits for that COMMIT before going on, so nothing is told to a user before
        it is on disk; a transaction that fails rolls back to its savepoint and leaves the others alone.
        Under load this turned ~3 fsyncs per answer into one per batch (bench/load.py).
        """
        async with self._lock:
            conn = self._fast
            if self._batch is None:
                self._batch = asyncio.get_running_loop().create_future()
                self._batch_error = None
                conn.pending.append("BEGIN IMMEDIATE")
                # Queued behind everyone waiting for the lock now: they join this batch, later ones the next.
                self._committer = asyncio.create_task(self._commit_when_queue_passed(), name="db-group-commit")
            elif self._batch_error is not None:
                raise self._batch_error  # the batch is lost; writing on would run outside any transaction
            batch = self._batch
            conn.pending.append("SAVEPOINT tx")
            failed: BaseException | None = None
            try:
                yield conn
            except BaseException as exc:  # noqa: BLE001 (re-raised below, once the batch has settled)
                failed = exc
                await self._undo(exc)
            else:
                if "SAVEPOINT tx" in conn.pending:  # nothing was written: nothing to keep
                    conn.pending.remove("SAVEPOINT tx")
                else:
                    conn.pending.append("RELEASE tx")  # rides along with the next transaction's first statement
        # A failed transaction may have failed because of its neighbours' writes (a unique key taken, say):
        # its caller may act on that only once those writes are durable, and must not if they were lost.
        try:
            await asyncio.shield(batch)
        except Exception as lost:
            if failed is None:
                raise
            if not isinstance(failed, Exception):
                raise failed from None  # a cancellation stays a cancellation
            raise lost from failed
        if failed is not None:
            raise failed

    async def _undo(self, exc: BaseException) -> None:
        """Undo the failed transaction's writes and nobody else's (the caller holds the lock)."""
        conn = self._fast
        # A cancelled statement is not taken back: it still runs on aiosqlite's thread. One more trip
        # through that thread's queue (first in, first out) waits for it, so what ran is known below.
        await conn.settle()
        if "SAVEPOINT tx" in conn.pending:  # it never started; a BEGIN that timed out is kept for the next
            conn.pending.remove("SAVEPOINT tx")
        else:
            try:
                await self.conn.execute("ROLLBACK TO tx")
                await self.conn.execute("RELEASE tx")
            except sqlite3.Error as lost:
                exc = exc if isinstance(exc, sqlite3.Error) else lost  # report the cause, not the symptom
        begun = "BEGIN IMMEDIATE" not in conn.pending
        if isinstance(exc, sqlite3.Error) and begun and not self.conn.in_transaction:
            # SQLite ends the whole transaction by itself on some errors (disk full, I/O): the batch is gone.
            log.error("the open group commit was lost (%s); its transactions fail", exc)
            # Its own type: a caller that handles, say, IntegrityError must not take this for one.
            self._batch_error = sqlite3.OperationalError(f"the transaction was lost with its group commit: {exc}")
            self._batch_error.__cause__ = exc
            conn.pending.clear()

    async def _commit_when_queue_passed(self) -> None:
        async with self._lock:
            await self._finish_batch()

    async def _finish_batch(self) -> None:
        """Commit the open batch (the caller holds the lock) and tell everyone in it."""
        batch, self._batch = self._batch, None
        if batch is None:
            return
        conn = self._fast
        try:
            if "BEGIN IMMEDIATE" in conn.pending:  # nothing in the batch wrote anything
                conn.pending.clear()
            elif self._batch_error is not None or not self.conn.in_transaction:
                conn.pending.clear()
                if self.conn.in_transaction:
                    await self.conn.execute("ROLLBACK")
                raise self._batch_error or sqlite3.OperationalError("the transaction was rolled back by SQLite")
            else:
                await conn.execute("COMMIT")  # after the last RELEASE, in one trip
        except BaseException as exc:
            if self.conn.in_transaction:  # a failed COMMIT leaves the transaction open: end it
                try:
                    await self.conn.execute("ROLLBACK")
                except sqlite3.Error:
                    log.exception("could not roll back a failed group commit")
            if not batch.done():
                batch.set_exception(exc)
            batch.exception()  # retrieved: the callers who await it get it; no "never retrieved" warning
            if not isinstance(exc, Exception):
                raise
        else:
            batch.set_result(None)

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
            statements = [s for s in map(sqlite_statement, split_statements(m.sql)) if s is not None]
            if m.rebuilds_tables:  # only outside a transaction does this pragma take effect
                await self.conn.execute("PRAGMA foreign_keys = OFF")
            try:
                async with self.tx() as conn:
                    for statement in statements:
                        await conn.execute(statement)
                    if m.rebuilds_tables and (broken := await conn.execute_fetchall("PRAGMA foreign_key_check")):
                        raise MigrationError(f"migration {m.version:04d}_{m.name} would break {len(broken)} "
                                             f"foreign key(s), e.g. in table {broken[0][0]}; nothing was changed")
                    await conn.execute(
                        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                        (m.version, m.name, datetime.now(UTC).isoformat()),
                    )
            finally:
                if m.rebuilds_tables:
                    await self.conn.execute("PRAGMA foreign_keys = ON")
            log.info("applied migration %04d_%s", m.version, m.name)
            done.append(m)
        return done

    async def schema_version(self) -> int:
        async with self.read() as conn, conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations") as cur:
            row = await cur.fetchone()
        return int(row[0])


async def open_database(settings) -> Database:
    """SQLite at `MLSQUIZ_DB` (or a sqlite:/// URL), or PostgreSQL when `MLSQUIZ_DATABASE_URL` names it. Both
    have the same interface; the type says SQLite's, which PostgreSQL's follows (bot/storage/postgres.py)."""
    if settings.postgres_url is not None:
        from bot.storage.postgres import PostgresDatabase  # psycopg loaded only when it is used

        return await PostgresDatabase.open(  # type: ignore[return-value]
            settings.postgres_url, replica=settings.webhook_url is not None)
    return await Database.open(settings.sqlite_path)
