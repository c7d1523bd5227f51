"""Storage on a real temporary SQLite file: migrations, first-answer-wins, update dedup."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.storage.db import Database, MigrationError, discover, split_statements
from bot.storage.dialect import sqlite_statement
from bot.storage.repo import Repo

# SQLite's own storage: its group commit, pragmas and migration runner (PostgreSQL's: test_postgres.py).
pytestmark = pytest.mark.sqlite_only

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def schema(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return sorted(conn.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"))


async def test_migrations_apply_on_empty_file_and_not_twice(tmp_path: Path):
    path = tmp_path / "a.sqlite3"
    db = await Database.open(path)
    applied = await db.migrate()
    assert [m.version for m in applied] == [m.version for m in discover()]
    assert await db.schema_version() == discover()[-1].version
    assert await db.migrate() == []
    await db.close()
    before = schema(path)
    db = await Database.open(path)
    assert await db.migrate() == []
    await db.close()
    assert schema(path) == before


@pytest.mark.parametrize("start", range(len(discover()) + 1))
async def test_migrating_from_each_intermediate_version_gives_the_same_schema(tmp_path: Path, start: int):
    migrations = discover()
    fresh = tmp_path / "fresh.sqlite3"
    db = await Database.open(fresh)
    await db.migrate(migrations)
    await db.close()

    stepped = tmp_path / "stepped.sqlite3"
    db = await Database.open(stepped)
    await db.migrate(migrations[:start])
    assert await db.schema_version() == (migrations[start - 1].version if start else 0)
    applied = await db.migrate(migrations)
    assert [m.version for m in applied] == [m.version for m in migrations[start:]]
    await db.close()
    assert schema(stepped) == schema(fresh)


async def test_unknown_migration_in_database_refuses_to_start(tmp_path: Path):
    path = tmp_path / "future.sqlite3"
    db = await Database.open(path)
    await db.migrate()
    async with db.tx() as conn:
        await conn.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", (9999, "from_the_future", "x")
        )
    with pytest.raises(MigrationError, match="9999_from_the_future"):
        await db.migrate()
    await db.close()


async def test_failed_migration_leaves_no_trace(tmp_path: Path):
    mdir = tmp_path / "migrations"
    mdir.mkdir()
    (mdir / "0001_ok.sql").write_text("CREATE TABLE a (x INTEGER);\n")
    (mdir / "0002_broken.sql").write_text("CREATE TABLE b (x INTEGER);\nINSERT INTO nope VALUES (1);\n")
    db = await Database.open(tmp_path / "m.sqlite3")
    with pytest.raises(sqlite3.OperationalError):
        await db.migrate(discover(mdir))
    assert await db.schema_version() == 1
    async with db.read() as conn, conn.execute("SELECT name FROM sqlite_master WHERE name = 'b'") as cur:
        assert await cur.fetchone() is None  # table b was rolled back with its failed migration
    await db.close()


def test_split_statements_keeps_triggers_whole():
    sql = """
    -- a comment
    CREATE TABLE t (x INTEGER);
    CREATE TRIGGER tr AFTER INSERT ON t BEGIN
        UPDATE t SET x = x + 1;
    END;
    """
    statements = split_statements(sql)
    assert len(statements) == 2
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].rstrip().endswith("END;")


def test_bad_migration_name_is_refused(tmp_path: Path):
    (tmp_path / "1_initial.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="NNNN_name"):
        discover(tmp_path)


async def test_pragmas(tmp_path: Path):
    db = await Database.open(tmp_path / "p.sqlite3")
    async with db.tx() as conn:
        for pragma, expected in [("journal_mode", "wal"), ("foreign_keys", 1), ("synchronous", 2)]:
            async with conn.execute(f"PRAGMA {pragma}") as cur:
                assert (await cur.fetchone())[0] == expected
        async with conn.execute("PRAGMA busy_timeout") as cur:
            assert (await cur.fetchone())[0] >= 10_000
    async with db.read() as conn:  # the read connection: same file, WAL, and it cannot write
        assert (await conn.execute_fetchall("PRAGMA journal_mode"))[0][0] == "wal"
        assert (await conn.execute_fetchall("PRAGMA query_only"))[0][0] == 1
        with pytest.raises(sqlite3.OperationalError):
            await conn.execute("CREATE TABLE nope (x)")
    await db.close()


async def test_first_answer_wins_and_is_durable(tmp_path: Path):
    path = tmp_path / "r.sqlite3"
    db = await Database.open(path)
    await db.migrate()
    repo = Repo(db)
    await repo.upsert_user(1, "Ada", 1, "UTC", NOW)
    ask = await repo.create_ask(user_id=1, chat_id=1, question_id="q1", kind="single", domain="modeling",
                                topic="metrics", option_order=[2, 0, 1, 3], origin="quiz", now=NOW)
    assert await repo.record_answer(ask_id=ask, user_id=1, correct=True, response="[2]", update_id=10, now=NOW)
    assert not await repo.record_answer(ask_id=ask, user_id=1, correct=False, response="[0]", update_id=11, now=NOW)
    assert not await repo.record_answer(ask_id=ask, user_id=2, correct=False, response="[0]", update_id=12, now=NOW)
    await db.close()

    db = await Database.open(path)  # a new process would see exactly this
    counts = await Repo(db).domain_counts(1)
    assert [(c.domain, c.answered, c.correct) for c in counts] == [("modeling", 1, 1)]
    await db.close()


async def test_new_question_closes_open_fill_in(tmp_path: Path):
    db = await Database.open(tmp_path / "f.sqlite3")
    await db.migrate()
    repo = Repo(db)
    await repo.upsert_user(1, "Ada", 1, "UTC", NOW)
    common = dict(user_id=1, chat_id=1, domain="eda", topic="nlp-prep", origin="quiz", now=NOW)
    first = await repo.create_ask(question_id="f1", kind="fill", option_order=None, **common)
    second = await repo.create_ask(question_id="f2", kind="fill", option_order=None, **common)
    open_ask = await repo.open_fill_ask(1)
    assert open_ask is not None and open_ask.id == second
    assert (await repo.get_ask(first)).status == "expired"
    await db.close()


async def test_deleting_a_user_deletes_their_answers(tmp_path: Path):
    db = await Database.open(tmp_path / "d.sqlite3")
    await db.migrate()
    repo = Repo(db)
    await repo.upsert_user(1, "Ada", 1, "UTC", NOW)
    await repo.create_ask(user_id=1, chat_id=1, question_id="q", kind="single", domain="eda", topic="t",
                          option_order=[0, 1, 2, 3], origin="quiz", now=NOW)
    async with db.tx() as conn:
        await conn.execute("DELETE FROM users WHERE id = ?", (1,))
    async with db.read() as conn, conn.execute("SELECT COUNT(*) FROM asks") as cur:
        assert (await cur.fetchone())[0] == 0  # foreign keys are on: ON DELETE CASCADE ran
    await db.close()


async def test_group_commit_shares_commits_and_isolates_failures(tmp_path: Path):
    """Transactions queued together share one COMMIT; one that fails leaves its neighbours' writes alone;
    each is visible to another connection as soon as its `tx()` block has exited."""
    import asyncio

    path = tmp_path / "g.sqlite3"
    db = await Database.open(path)
    async with db.tx() as conn:
        await conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    watcher = sqlite3.connect(path)  # PRAGMA data_version moves once per commit made by another connection
    commits_before = watcher.execute("PRAGMA data_version").fetchone()[0]

    async def write(k: int) -> None:
        async with db.tx() as conn:
            await conn.execute("INSERT INTO t (k, v) VALUES (?, 'first')", (k,))
            await asyncio.sleep(0)  # let others queue up behind this one
            if k % 10 == 7:
                raise RuntimeError("this one fails")
            await conn.execute("UPDATE t SET v = 'done' WHERE k = ?", (k,))
        # Durable and visible to everyone the moment the block is left.
        with sqlite3.connect(path) as other:
            assert other.execute("SELECT v FROM t WHERE k = ?", (k,)).fetchone() == ("done",)

    results = await asyncio.gather(*(write(k) for k in range(100)), return_exceptions=True)
    failed = [k for k, r in enumerate(results) if isinstance(r, Exception)]
    assert failed == [k for k in range(100) if k % 10 == 7]
    assert all(isinstance(results[k], RuntimeError) for k in failed)
    commits = watcher.execute("PRAGMA data_version").fetchone()[0] - commits_before
    assert 1 <= commits < 50, f"{commits} commits for 100 transactions queued together"
    rows = dict(watcher.execute("SELECT k, v FROM t").fetchall())
    assert rows == {k: "done" for k in range(100) if k % 10 != 7}
    watcher.close()
    await db.close()


async def test_group_commit_survives_a_failed_begin(tmp_path: Path):
    """Another process holds the write lock past the busy timeout: the transaction fails cleanly, and the
    next one, once the lock is free, commits."""
    path = tmp_path / "b.sqlite3"
    db = await Database.open(path)
    async with db.tx() as conn:
        await conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY)")
    await db.conn.execute("PRAGMA busy_timeout = 100")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        async with db.tx() as conn:
            await conn.execute("INSERT INTO t (k) VALUES (1)")
    holder.execute("ROLLBACK")
    holder.close()
    async with db.tx() as conn:
        await conn.execute("INSERT INTO t (k) VALUES (2)")
    with sqlite3.connect(path) as other:
        assert other.execute("SELECT k FROM t").fetchall() == [(2,)]
    await db.close()


async def test_group_commit_lost_by_sqlite_fails_everyone_in_it_and_no_one_else(tmp_path: Path):
    """Some errors end SQLite's whole transaction (disk full, I/O, RAISE(ROLLBACK) here): every transaction
    in that batch must fail, none may report success without its row, and later batches work."""
    import asyncio

    path = tmp_path / "r.sqlite3"
    db = await Database.open(path)
    async with db.tx() as conn:
        await conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY)")
        await conn.execute("CREATE TRIGGER boom BEFORE INSERT ON t WHEN NEW.k = 13 "
                           "BEGIN SELECT RAISE(ROLLBACK, 'boom'); END")

    async def write(k: int) -> None:
        async with db.tx() as conn:
            await asyncio.sleep(0)
            await conn.execute("INSERT INTO t (k) VALUES (?)", (k,))

    results = await asyncio.gather(*(write(k) for k in range(40)), return_exceptions=True)
    ok = {k for k, r in enumerate(results) if r is None}
    assert 13 not in ok and len(ok) < 40
    with sqlite3.connect(path) as other:
        stored = {k for (k,) in other.execute("SELECT k FROM t")}
    assert stored == ok  # nobody was told "saved" for a row that is not there, and nothing failed yet stored
    await write(100)
    with sqlite3.connect(path) as other:
        assert other.execute("SELECT COUNT(*) FROM t WHERE k = 100").fetchone() == (1,)
    await db.close()


async def test_a_cancelled_transaction_leaves_nothing_half_done(tmp_path: Path):
    """A cancelled statement still runs on the database thread: the rollback must wait for it, or half a
    transaction is committed with the next one."""
    import asyncio

    path = tmp_path / "c.sqlite3"
    db = await Database.open(path)
    async with db.tx() as conn:
        await conn.execute("CREATE TABLE t (k INTEGER, part INTEGER)")

    async def two_rows(k: int) -> None:
        async with db.tx() as conn:
            await conn.execute("INSERT INTO t VALUES (?, 1)", (k,))
            await conn.execute("INSERT INTO t VALUES (?, 2)", (k,))

    for k in range(50):
        task = asyncio.create_task(two_rows(k))
        await asyncio.sleep(0)  # its first statement is on its way to the database thread
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.wait_for(two_rows(1000 + k), 5)  # the writer is still usable
    with sqlite3.connect(path) as other:
        halves = other.execute("SELECT COUNT(*) FROM (SELECT k FROM t GROUP BY k HAVING COUNT(*) = 1)").fetchone()
        assert halves == (0,)
        assert other.execute("SELECT COUNT(DISTINCT k) FROM t WHERE k >= 1000").fetchone() == (50,)
    await db.close()


def test_every_foreign_key_cascades_or_sets_null(tmp_path: Path):
    """/forget deletes table by table without deferring constraints; that is only safe while this holds."""
    conn = sqlite3.connect(tmp_path / "fk.sqlite3")
    for m in discover():
        conn.executescript(";\n".join(s for s in map(sqlite_statement, split_statements(m.sql)) if s))
    keys = [(table, *fk) for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            for fk in conn.execute('SELECT "table", "from", on_delete FROM pragma_foreign_key_list(?)', (table,))]
    assert keys and all(on_delete in ("CASCADE", "SET NULL") for *_, on_delete in keys), keys
    conn.close()
