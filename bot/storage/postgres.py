"""PostgreSQL behind the same interface as the SQLite `Database` (bot/storage/db.py): `tx()`, `read()`,
`migrate()`, the same queries (bot/storage/dialect.py turns their `?` into `%s`) and the same migration files.

Driver: psycopg 3 with psycopg_pool. Its DB-API shape (cursor, rowcount, fetchall) is the one the storage
code already speaks through aiosqlite, its `%s` parameters map one-to-one from `?`, and the binary wheel
brings libpq along, so a fresh machine needs nothing from the system.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg.adapt import Loader
from psycopg.rows import RowMaker
from psycopg_pool import AsyncConnectionPool

from bot.storage.db import DatabaseUnavailable, Migration, MigrationError, Rows, _Pending, discover, split_statements
from bot.storage.dialect import POSTGRES_PRELUDE, postgres_statement, pyformat

log = logging.getLogger(__name__)

POOL_SIZE = 8
MIGRATION_LOCK = 0x6D6C7371  # 'mlsq': one process migrates at a time
INSTANCE_LOCK = 0x6D6C7372  # held by the one process using the database
INSTANCE_WAIT = 30  # seconds a second process waits for the first to stop (a rolling restart)


class Row(tuple):
    """A result row read by position or by column name, like sqlite3.Row."""

    __slots__ = ()
    _index: dict[str, int] = {}

    def __getitem__(self, key):
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


_ROW_TYPES: dict[tuple[str, ...], type[Row]] = {}


def _rows(cursor) -> RowMaker[Row]:
    names = tuple(c.name for c in cursor.description or ())
    kind = _ROW_TYPES.get(names)
    if kind is None:
        kind = _ROW_TYPES[names] = type("Row", (Row,), {"__slots__": (), "_index": {n: i for i, n in enumerate(names)}})
    return kind


class _Number(Loader):
    """NUMERIC (what SUM over integers gives) as int when whole, else float: the values SQLite returns."""

    def load(self, data) -> int | float:
        value = Decimal(bytes(data).decode())
        return int(value) if value == value.to_integral_value() else float(value)


async def _configure(conn: psycopg.AsyncConnection) -> None:
    conn.adapters.register_loader("numeric", _Number)


def _text_safe(params):
    """PostgreSQL's text cannot hold NUL, which SQLite takes: a typed answer or a name with one loses it."""
    if any(isinstance(p, str) and "\x00" in p for p in params):
        return [p.replace("\x00", "") if isinstance(p, str) else p for p in params]
    return params


class PgConn:
    """The connection as a transaction sees it, with the interface of bot/storage/db.py's `Conn`."""

    dialect = "postgresql"

    def __init__(self, conn: psycopg.AsyncConnection):
        self._conn = conn

    async def _run(self, sql: str, params) -> Rows:
        async with self._conn.cursor(row_factory=_rows) as cur:
            await cur.execute(pyformat(sql), _text_safe(params))
            rows = await cur.fetchall() if cur.description is not None else []
            return Rows(rows, cur.rowcount, None)

    async def _run_many(self, sql: str, seq) -> Rows:
        seq = list(seq)
        if not seq:
            return Rows([], 0, None)
        async with self._conn.cursor() as cur:
            await cur.executemany(pyformat(sql), [_text_safe(p) for p in seq])
            return Rows([], cur.rowcount, None)

    def execute(self, sql: str, params=()) -> _Pending:
        return _Pending(self._run(sql, params))

    def executemany(self, sql: str, seq) -> _Pending:
        return _Pending(self._run_many(sql, seq))

    async def execute_fetchall(self, sql: str, params=()) -> list:
        return (await self._run(sql, params)).rows


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


async def _take(owner: psycopg.AsyncConnection, url: str, replica: bool) -> None:
    """Hold the database's instance lock on `owner` for as long as it stays open. A long-polling process holds it
    alone (Telegram serves getUpdates to one process); webhook replicas share it, so that neither kind starts
    beside the other. A process that cannot have it waits (a rolling restart), then gives up."""
    await owner.set_autocommit(True)
    take = "SELECT pg_try_advisory_lock_shared(%s)" if replica else "SELECT pg_try_advisory_lock(%s)"
    for waited in range(INSTANCE_WAIT):
        if (await (await owner.execute(take, (INSTANCE_LOCK,))).fetchone())[0]:
            return
        if waited == 0:
            log.warning("another mlsquiz process uses this database; waiting for it to stop")
        await asyncio.sleep(1)
    await owner.close()
    raise DatabaseUnavailable(f"another mlsquiz process uses the database at {redact(url)}: long polling serves "
                              "one process per database; run several as replicas in webhook mode "
                              "(MLSQUIZ_WEBHOOK_URL), all of them")


class PostgresDatabase:
    """A pool of connections. Writes are serialised within the process, as SQLite's single writer does, so
    that the storage code's read-then-write transactions mean the same on both backends."""

    dialect = "postgresql"

    def __init__(self, pool: AsyncConnectionPool, url: str, owner: psycopg.AsyncConnection | None = None):
        self.pool, self._owner = pool, owner
        self.path = redact(url)  # named in messages, like the SQLite file's path
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, url: str, size: int = POOL_SIZE, *, exclusive: bool = True,
                   replica: bool = False) -> PostgresDatabase:
        """Connect; with `exclusive`, as the bot does, take the instance lock: alone, or shared with the other
        `replica`s (webhook mode)."""
        try:  # once by hand first: a wrong address or password is one clear line, not a pool timing out
            probe = await psycopg.AsyncConnection.connect(url, connect_timeout=10)
        except psycopg.Error as exc:
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else exc.__class__.__name__
            raise DatabaseUnavailable(f"cannot connect to the database at {redact(url)}: {reason}") from None
        if exclusive:
            await _take(probe, url, replica)
        else:
            await probe.close()
        # Checked before each use: after a server restart or a dropped connection, a dead one is replaced
        # instead of failing the transaction it was given to.
        pool = AsyncConnectionPool(url, min_size=1, max_size=size, open=False, configure=_configure,
                                   kwargs={"autocommit": True}, check=AsyncConnectionPool.check_connection)
        await pool.open(wait=True, timeout=30)
        return cls(pool, url, probe if exclusive else None)

    async def close(self) -> None:
        async with self._lock:
            await self.pool.close()
            if self._owner is not None:
                await self._owner.close()  # lets another process have the database

    @asynccontextmanager
    async def tx(self) -> AsyncIterator[PgConn]:
        """A write transaction: all of it or none of it, committed when the block has exited."""
        async with self._lock, self.pool.connection() as conn, conn.transaction():
            yield PgConn(conn)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[PgConn]:
        """Reads in autocommit: each statement sees what is committed."""
        async with self.pool.connection() as conn:
            yield PgConn(conn)

    async def migrate(self, migrations: list[Migration] | None = None) -> list[Migration]:
        """Apply pending migrations in order, each with its record in one transaction; return those applied."""
        migrations = discover() if migrations is None else migrations
        done = []
        async with self._lock, self.pool.connection() as conn:
            await conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
            try:
                async with conn.transaction():
                    await conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                                       " version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
                    for statement in POSTGRES_PRELUDE:
                        await conn.execute(statement)
                cur = await conn.execute("SELECT version, name FROM schema_migrations ORDER BY version")
                applied = {row[0]: row[1] for row in await cur.fetchall()}
                unknown = sorted(set(applied) - {m.version for m in migrations})
                if unknown:
                    names = ", ".join(f"{v:04d}_{applied[v]}" for v in unknown)
                    raise MigrationError(
                        f"the database {self.path} has migration(s) {names} that this version of mlsquiz does not "
                        "know; run a newer mlsquiz or restore a backup")
                for m in migrations:
                    if m.version in applied:
                        continue
                    async with conn.transaction():
                        for statement in split_statements(m.sql):
                            if (sql := postgres_statement(statement)) is not None:
                                await conn.execute(sql)  # no parameters: a literal % stays as written
                        await conn.execute("INSERT INTO schema_migrations (version, name, applied_at) "
                                           "VALUES (%s, %s, %s)", (m.version, m.name, datetime.now(UTC).isoformat()))
                    log.info("applied migration %04d_%s", m.version, m.name)
                    done.append(m)
            finally:
                await conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
        return done

    async def schema_version(self) -> int:
        async with self.read() as conn:
            rows = await conn.execute_fetchall("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        return int(rows[0][0])
