"""Migration 0008 rebuilds `asks` (new item types) without losing a row, a reference or the id high-water mark."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.storage.db import Database, MigrationError, discover

# Migrations on SQLite files, data included (PostgreSQL applies them in test_postgres.py).
pytestmark = pytest.mark.sqlite_only


async def test_asks_rebuild_keeps_rows_references_and_ids(tmp_path: Path):
    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        await db.migrate([m for m in discover() if m.version < 8])
        async with db.tx() as conn:
            await conn.execute("INSERT INTO users (id, tz, created_at) VALUES (1, 'UTC', 'x')")
            for qid in ("a", "b", "c"):
                await conn.execute(
                    "INSERT INTO asks (user_id, chat_id, question_id, kind, domain, topic, asked_at, status, "
                    "answer_update) VALUES (1, 1, ?, 'single', 'd', 't', 'x', 'answered', NULL)", (qid,))
            await conn.execute("DELETE FROM asks WHERE question_id = 'c'")  # id 3 given out once: never again
            await conn.execute(
                "INSERT INTO exams (user_id, chat_id, size, limit_seconds, status, started_at) "
                "VALUES (1, 1, 2, 60, 'finished', 'x')")
            await conn.execute("INSERT INTO exam_items (exam_id, position, ask_id) VALUES (1, 0, 1), (1, 1, 2)")
        applied = await db.migrate()
        assert [m.version for m in applied] == [m.version for m in discover() if m.version >= 8]
        async with db.tx() as conn:
            cur = await conn.execute(
                "INSERT INTO asks (user_id, chat_id, question_id, kind, domain, topic, asked_at) "
                "VALUES (1, 1, 'o', 'ordering', 'd', 't', 'x')")
            assert cur.lastrowid == 4
            await conn.execute(
                "INSERT INTO asks (user_id, chat_id, question_id, kind, domain, topic, asked_at) "
                "VALUES (1, 1, 'm', 'matching', 'd', 't', 'x')")
        async with db.read() as conn:
            assert [tuple(r) for r in await conn.execute_fetchall("SELECT exam_code FROM exams")] == [("mls-c01",)]
            assert [tuple(r) for r in await conn.execute_fetchall("SELECT ask_id FROM exam_items")] == [(1,), (2,)]
            assert await conn.execute_fetchall("PRAGMA foreign_key_check") == []
        async with db.tx() as conn:  # the writer's connection
            assert (await conn.execute_fetchall("PRAGMA foreign_keys"))[0][0] == 1
        # Foreign keys are on again: deleting the user cascades through asks to the exam items.
        async with db.tx() as conn:
            await conn.execute("DELETE FROM users WHERE id = 1")
        async with db.read() as conn:
            assert (await conn.execute_fetchall("SELECT COUNT(*) FROM exam_items"))[0][0] == 0
        with pytest.raises(sqlite3.IntegrityError):
            async with db.tx() as conn:
                await conn.execute(
                    "INSERT INTO asks (user_id, chat_id, question_id, kind, domain, topic, asked_at) "
                    "VALUES (1, 1, 'z', 'essay', 'd', 't', 'x')")
    finally:
        await db.close()


async def test_a_rebuild_that_would_break_a_reference_changes_nothing(tmp_path: Path):
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_parent.sql").write_text(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY);\n"
        "CREATE TABLE child (parent_id INTEGER REFERENCES parent(id));\n"
        "INSERT INTO parent VALUES (1);\nINSERT INTO child VALUES (1);\n")
    (migrations / "0002_rebuild.sql").write_text(
        "-- mlsquiz: foreign-keys-off\n"
        "CREATE TABLE parent_new (id INTEGER PRIMARY KEY);\n"  # forgets to copy the rows
        "DROP TABLE parent;\nALTER TABLE parent_new RENAME TO parent;\n")
    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        with pytest.raises(MigrationError, match="would break 1 foreign key"):
            await db.migrate(discover(migrations))
        async with db.read() as conn:
            assert [tuple(r) for r in await conn.execute_fetchall("SELECT id FROM parent")] == [(1,)]
            assert [tuple(r) for r in await conn.execute_fetchall("SELECT MAX(version) FROM schema_migrations")] \
                == [(1,)]
        async with db.tx() as conn:
            assert (await conn.execute_fetchall("PRAGMA foreign_keys"))[0][0] == 1
    finally:
        await db.close()


async def test_the_review_log_is_backfilled_from_every_answer(tmp_path: Path):
    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        await db.migrate([m for m in discover() if m.version < 9])
        async with db.tx() as conn:
            await conn.execute("INSERT INTO users (id, tz, created_at) VALUES (1, 'Asia/Kolkata', 'x')")
            await conn.execute("INSERT INTO users (id, tz, created_at) VALUES (2, 'UTC', 'x')")
            answers = [  # (user, question, asked, answered, correct)
                (1, "a", "2026-11-01T10:00:00+00:00", "2026-11-01T10:00:40+00:00", 1),
                (1, "a", "2026-11-04T23:00:00+00:00", "2026-11-04T23:00:05+00:00", 0),
                (1, "b", "2026-11-02T09:00:00+00:00", "2026-11-02T09:01:00+00:00", 1),
                (1, "a", "2026-11-05T00:30:00+00:00", "2026-11-05T00:30:10+00:00", 1),
            ]
            for user, qid, asked, answered, correct in answers:
                await conn.execute(
                    "INSERT INTO asks (user_id, chat_id, question_id, kind, domain, topic, asked_at, status, "
                    "answered_at, correct) VALUES (?, ?, ?, 'single', 'd', 't', ?, 'answered', ?, ?)",
                    (user, user, qid, asked, answered, correct))
            await conn.execute(  # asked, never answered: no review
                "INSERT INTO asks (user_id, chat_id, question_id, kind, domain, topic, asked_at) "
                "VALUES (2, 2, 'c', 'single', 'd', 't', '2026-11-03T00:00:00+00:00')")
        await db.migrate()
        async with db.read() as conn:
            rows = [tuple(r) for r in await conn.execute_fetchall(
                "SELECT user_id, question_id, rating, elapsed_days, round(seconds), backfilled FROM reviews "
                "ORDER BY reviewed_at")]
            assert rows == [
                (1, "a", 3, None, 40.0, 1),
                (1, "b", 3, None, 60.0, 1),
                (1, "a", 1, 3, 5.0, 1),
                (1, "a", 3, 1, 10.0, 1),  # the next UTC day (in Kolkata both were on the 5th: UTC, as said)
            ]
            users = [tuple(r) for r in await conn.execute_fetchall(
                "SELECT id, reviews, next_fit_at IS NULL, exam_date, plan_minutes, retention FROM users ORDER BY id")]
            assert users == [(1, 4, 1, None, 10, 0.9), (2, 0, 1, None, 10, 0.9)]
    finally:
        await db.close()
