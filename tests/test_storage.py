"""Storage on a real temporary SQLite file: migrations, first-answer-wins, update dedup."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.storage.db import Database, MigrationError, discover, split_statements
from bot.storage.repo import Repo

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
