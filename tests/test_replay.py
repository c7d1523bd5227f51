"""A replayed update (handled, but killed before it was marked handled) never answers a newer question."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bot.content import QuestionType, load_bank
from bot.storage.db import Database
from tests.conftest import RunningBot, bank_questions, content_with, db_connect, question_in, settings_for
from tests.standin import StandIn

USER = 4242


def typed_only_content(tmp_path: Path, n: int = 3) -> Path:
    """Only `n` typed (fill) questions, so /quiz always asks one."""
    return content_with(tmp_path / "content", bank_questions(lambda q: q["type"] == "fill", n))


async def say(standin: StandIn, text: str) -> dict:
    return await standin.send_text(USER, text)


@pytest.mark.parametrize("restart", [True, False])
async def test_a_replayed_typed_answer_does_not_answer_the_next_question(tmp_path: Path, standin: StandIn,
                                                                         restart: bool):
    content = typed_only_content(tmp_path)
    bank = load_bank(content)
    db_path = tmp_path / "bot.sqlite3"
    bot = RunningBot(settings_for(standin, db_path, MLSQUIZ_CONTENT=str(content)), bank)
    await bot.start(standin)

    mark = len(standin.calls)
    await say(standin, "/quiz")
    first = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == USER, after=mark)
    q1 = question_in(bank, first.text)
    assert q1.type is QuestionType.fill

    mark = len(standin.calls)
    answer = await say(standin, q1.answer)  # right: graded, recorded, verdict sent
    verdict = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == USER, after=mark)
    assert "✅" in verdict.text

    mark = len(standin.calls)
    await say(standin, "/quiz")  # the next typed question is now open
    await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == USER, after=mark)
    await bot.stop()

    # The process "died" after handling the answer but before marking it handled: it is still in the inbox.
    with db_connect(db_path) as conn:
        conn.execute("DELETE FROM processed_updates WHERE update_id = ?", (answer["update_id"],))
        conn.execute("INSERT INTO inbox (update_id, payload, received_at) VALUES (?, ?, '2026-01-01T00:00:00+00:00')",
                     (answer["update_id"], json.dumps(answer)))

    if restart:
        await bot.start(standin)  # replays the inbox first
    else:
        await bot.start(standin)
        await standin.redeliver(answer)  # Telegram delivers it again as well: still one answer
    mark = len(standin.calls)
    await say(standin, "/stats")
    await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == USER and "📊" in c.text, after=mark)
    await bot.stop()

    with db_connect(db_path) as conn:
        rows = conn.execute("SELECT status, correct, answer_update FROM asks WHERE user_id = ? ORDER BY id",
                            (USER,)).fetchall()
        days = conn.execute("SELECT SUM(answered) FROM days WHERE user_id = ?", (USER,)).fetchone()[0]
        reviews = conn.execute("SELECT SUM(reviews) FROM cards WHERE user_id = ?", (USER,)).fetchone()[0]
    assert rows[0] == ("answered", 1, answer["update_id"])
    assert rows[1][0] == "open", "the replayed answer was graded against the next question"
    assert days == 1 and reviews == 1


async def test_one_update_can_answer_only_one_ask(tmp_path: Path):
    """The schema itself refuses a second ask answered by the same update (migration 0007)."""
    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        await db.migrate()
        async with db.tx() as conn:
            await conn.execute("INSERT INTO users (id, tz, created_at) VALUES (1, 'UTC', 'x')")
            for qid in ("a", "b"):
                await conn.execute(
                    "INSERT INTO asks (user_id, chat_id, question_id, kind, domain, topic, asked_at) "
                    "VALUES (1, 1, ?, 'fill', 'd', 't', 'x')", (qid,))
            await conn.execute("UPDATE asks SET status = 'answered', answer_update = 77 WHERE question_id = 'a'")
        with pytest.raises(sqlite3.IntegrityError):
            async with db.tx() as conn:
                await conn.execute("UPDATE asks SET status = 'answered', answer_update = 77 WHERE question_id = 'b'")
    finally:
        await db.close()


async def test_migration_takes_back_answers_doubled_by_the_old_replay_bug(tmp_path: Path):
    """A database that met the bug: the later of two asks answered by one update is taken back, then indexed."""
    from bot.storage.db import discover

    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        before = [m for m in discover() if m.version < 7]
        await db.migrate(before)
        async with db.tx() as conn:
            await conn.execute("INSERT INTO users (id, tz, created_at) VALUES (1, 'UTC', 'x')")
            for qid in ("a", "b", "c"):
                await conn.execute(
                    "INSERT INTO asks (user_id, chat_id, question_id, kind, domain, topic, asked_at, status, "
                    "correct, response, answer_update) VALUES (1, 1, ?, 'fill', 'd', 't', 'x', 'answered', 1, 'r', ?)",
                    (qid, 5 if qid != "c" else 6))
        applied = await db.migrate()
        assert [m.version for m in applied][0] == 7
        async with db.read() as conn:
            rows = await conn.execute_fetchall("SELECT question_id, status, answer_update FROM asks ORDER BY id")
        assert [tuple(r) for r in rows] == [("a", "answered", 5), ("b", "expired", None), ("c", "answered", 6)]
    finally:
        await db.close()
