"""Two replicas of the bot on one PostgreSQL database, each behind its own webhook server, as a load balancer
would place them: Telegram posts a chat's updates one at a time (the next once the last got its 200), to either
replica. Each person's updates are handled in order whichever replica took them in, and each once."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import FakeClock, RunningBot, answer_correctly, correct_positions, db_connect, settings_for
from tests.standin import StandIn
from tests.test_webhook import HOOK, SECRET, _free_port

pytestmark = pytest.mark.postgresql_only

ZONES = ["Europe/Berlin", "Asia/Tokyo", "America/Chicago", "Africa/Lagos", "Asia/Kolkata", "Europe/Lisbon",
         "Australia/Sydney", "America/Lima", "Europe/Oslo", "Asia/Seoul", "Pacific/Auckland", "Europe/Athens"]
_ids = itertools.count(500_000)


class Replicas:
    """Two bots in webhook mode on one database. `post(i, update)` is Telegram posting to replica i; what the
    stand-in's helpers send (say, tap) is posted to the two in turn."""

    def __init__(self, standin: StandIn, bank, db: Path, clock=None, push_interval: float = 20.0):
        self.ports = [_free_port(), _free_port()]
        self.bots = [RunningBot(settings_for(standin, db, MLSQUIZ_WEBHOOK_URL=HOOK, MLSQUIZ_WEBHOOK_SECRET=SECRET,
                                             MLSQUIZ_WEBHOOK_LISTEN="127.0.0.1", MLSQUIZ_WEBHOOK_PORT=port,
                                             MLSQUIZ_REPLICA_LEASE="3"), bank, clock=clock,
                                push_interval=push_interval)
                     for port in self.ports]
        self.http: aiohttp.ClientSession | None = None
        self._next = itertools.cycle(range(2))

    async def start(self, standin: StandIn) -> None:
        for bot in self.bots:
            mark = len(standin.calls)
            await bot.start(standin)
            await standin.wait_for(lambda c: c.method == "setWebhook", after=mark)  # its server listens
        self.http = aiohttp.ClientSession()

        async def via_webhooks(update: dict) -> dict:
            update = {"update_id": next(_ids), **{k: v for k, v in update.items() if k != "update_id"}}
            assert await self.post(next(self._next), update) == 200
            return update

        standin.push = via_webhooks  # type: ignore[method-assign]

    async def post(self, replica: int, update: dict) -> int:
        assert self.http is not None
        async with self.http.post(f"http://127.0.0.1:{self.ports[replica]}/tg/hook", data=json.dumps(update),
                                  headers={"X-Telegram-Bot-Api-Secret-Token": SECRET,
                                           "Content-Type": "application/json"}) as r:
            await r.read()
            return r.status

    async def stop(self) -> None:
        if self.http is not None:
            await self.http.close()
        for bot in self.bots:
            if bot.task is not None:
                await bot.stop()


@pytest.fixture
async def replicas(standin: StandIn, bank, tmp_path: Path):
    pair = Replicas(standin, bank, tmp_path / "replicas.sqlite3")
    await pair.start(standin)
    yield pair
    await pair.stop()


def _message(standin: StandIn, user: int, text: str) -> dict:
    return {"update_id": next(_ids), **standin.message_update(user, text)}


async def test_each_persons_updates_are_handled_in_order_whichever_replica_took_them(standin: StandIn, replicas,
                                                                                    tmp_path: Path):
    users = list(range(61_000, 61_008))

    async def one_chat(user: int) -> list[int]:
        # One chat's updates in sequence, as Telegram sends them; the replica alternates with every update.
        posted = []
        for i, zone in enumerate(ZONES):
            update = _message(standin, user, f"/timezone {zone}")
            assert await replicas.post((i + user) % 2, update) == 200
            posted.append(update["update_id"])
        return posted

    posted = await asyncio.gather(*(one_chat(u) for u in users))

    def told(user: int) -> list[str]:
        texts = [c.plain for c in standin.calls if c.method == "sendMessage" and c.chat_id == user]
        return [z for t in texts for z in ZONES if z in t]

    for user in users:
        await standin.wait_for(lambda c, u=user: len(told(u)) >= len(ZONES), timeout=30)
    await asyncio.sleep(0.5)  # anything handled twice would have replied by now
    for user in users:
        assert told(user) == ZONES  # each zone confirmed once, in the order sent
    ids = [uid for chat in posted for uid in chat]
    for _ in range(50):  # marked handled a moment after the reply, in a shared commit
        with db_connect(tmp_path / "replicas.sqlite3") as conn:
            if conn.execute("SELECT COUNT(*) FROM inbox").fetchone() == (0,):
                break
        await asyncio.sleep(0.1)
    with db_connect(tmp_path / "replicas.sqlite3") as conn:
        zones = dict(conn.execute(f"SELECT id, tz FROM users WHERE id IN ({','.join('?' * len(users))})", users))
        handled = conn.execute("SELECT COUNT(*) FROM processed_updates WHERE update_id BETWEEN ? AND ?",
                               (min(ids), max(ids))).fetchone()[0]
        assert conn.execute("SELECT COUNT(*) FROM inbox").fetchone() == (0,)
        assert conn.execute("SELECT COUNT(*) FROM turns").fetchone() == (0,)  # every turn given back
        assert conn.execute("SELECT COUNT(*) FROM replicas").fetchone() == (2,)
    assert zones == {u: ZONES[-1] for u in users}
    assert handled == len(ids)


async def test_a_quiz_asked_by_one_replica_is_answered_through_the_other(standin: StandIn, bank, replicas,
                                                                         tmp_path: Path):
    user = 62_000
    for _ in range(5):  # /quiz to one replica, the answer (a tap, ticks and submit, a typed word) to the other
        question = await standin.say(user, "/quiz")
        mark = len(standin.calls)
        await answer_correctly(standin, bank, user, question)
        await standin.wait_for(lambda c: c.chat_id == user and "✅" in (c.plain or ""), after=mark)
    with db_connect(tmp_path / "replicas.sqlite3") as conn:
        rows = conn.execute("SELECT status, correct FROM asks WHERE user_id = ? ORDER BY id", (user,)).fetchall()
        day = conn.execute("SELECT answered, correct FROM days WHERE user_id = ?", (user,)).fetchone()
    assert [tuple(r) for r in rows] == [("answered", 1)] * 5
    assert tuple(day) == (5, 5)


async def test_the_updates_of_a_replica_that_stopped_beating_are_taken_over(standin: StandIn, bank,
                                                                           tmp_path: Path):
    """A replica stored a person's update, holds their turn, and is gone (no heartbeat): the other takes the
    turn once the lease ran out and handles the update; nothing waits for the dead one."""
    db = tmp_path / "replicas.sqlite3"
    pair = Replicas(standin, bank, db)
    await pair.start(standin)
    try:
        user = 63_000
        update = _message(standin, user, "/timezone Asia/Tokyo")
        with db_connect(db) as conn:  # what a replica killed right after its 200 leaves behind
            conn.execute("INSERT INTO replicas (id, host, started_at, seen_at) VALUES ('gone', 'h', ?, ?)",
                         ("2026-12-06T00:00:00+00:00", "2099-01-01T00:00:00+00:00"))
            conn.execute("INSERT INTO inbox (update_id, turn, payload, received_at) VALUES (?, ?, ?, ?)",
                         (update["update_id"], f"user:{user}", json.dumps(update), "2026-12-06T00:00:00+00:00"))
            conn.execute("INSERT INTO turns (turn, holder) VALUES (?, 'gone')", (f"user:{user}",))
            conn.commit()
        # The next update of that person, to a live replica, waits for its turn: not handled before the first.
        later = _message(standin, user, "/timezone Europe/Oslo")
        assert await pair.post(0, later) == 200
        await asyncio.sleep(1.0)
        assert not any(c.method == "sendMessage" and c.chat_id == user for c in standin.calls)
        with db_connect(db) as conn:  # the dead replica's heartbeat stops (its clock said "far future")
            conn.execute("UPDATE replicas SET seen_at = '2026-12-06T00:00:00+00:00' WHERE id = 'gone'")
            conn.commit()
        await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == user and "Europe/Oslo" in c.plain,
                               timeout=15)
        texts = [c.plain for c in standin.calls if c.method == "sendMessage" and c.chat_id == user]
        assert ["Asia/Tokyo" in t for t in texts] == [True, False] and "Europe/Oslo" in texts[1]
        with db_connect(db) as conn:
            assert conn.execute("SELECT tz FROM users WHERE id = ?", (user,)).fetchone() == ("Europe/Oslo",)
    finally:
        await pair.stop()


async def test_a_daily_push_claimed_by_a_replica_that_died_is_sent_by_another_once(standin: StandIn, bank,
                                                                                tmp_path: Path):
    """Both replicas look for due pushes every half second: each push is sent once. Pushes claimed by a replica
    that died before sending them are sent by a live one once the lease ran out, once too."""
    db = tmp_path / "replicas.sqlite3"
    clock = FakeClock(datetime(2026, 12, 7, 8, 0, tzinfo=UTC))
    pair = Replicas(standin, bank, db, clock=clock, push_interval=0.3)
    await pair.start(standin)
    try:
        users = list(range(64_000, 64_030))
        await asyncio.gather(*(standin.say(u, "/daily 08:01") for u in users))
        dead = users[:10]
        with db_connect(db) as conn:  # a replica that claimed ten of today's pushes, then died
            conn.execute("INSERT INTO replicas (id, host, started_at, seen_at) VALUES ('gone', 'h', ?, ?)",
                         ("2026-12-06T00:00:00+00:00", "2026-12-06T00:00:00+00:00"))
            conn.executemany("INSERT INTO pushes (user_id, day, kind, status, claimed_at, claimed_by) "
                             "VALUES (?, '2026-12-07', 'drill', 'claimed', '2026-12-07T08:01:00+00:00', 'gone')",
                             [(u,) for u in dead])
            conn.commit()
        clock.advance(minutes=1, seconds=5)
        for user in users:
            await standin.wait_for(lambda c, u=user: _is_drill(c, u), timeout=30)
        await asyncio.sleep(1.5)  # each replica looks several times more: nothing is sent twice
        assert [sum(1 for c in standin.calls if _is_drill(c, u)) for u in users] == [1] * len(users)
        with db_connect(db) as conn:
            assert conn.execute("SELECT COUNT(*) FROM pushes WHERE status = 'sent'").fetchone() == (len(users),)
            by = dict(conn.execute("SELECT claimed_by, COUNT(*) FROM pushes GROUP BY claimed_by").fetchall())
        assert "gone" not in by and sum(by.values()) == len(users)
    finally:
        await pair.stop()


def _is_drill(call, user: int) -> bool:
    return call.method == "sendMessage" and call.chat_id == user and "Daily drill · " in (call.plain or "")


async def test_each_replica_counts_the_live_ones_and_takes_its_share_of_the_rate(replicas):
    """Both report two replicas alive on /metrics (each then sends at most half the bot's rate), and the one
    left after the other stops cleanly reports one."""
    assert replicas.http is not None

    async def alive(port: int) -> float:
        async with replicas.http.get(f"http://127.0.0.1:{port}/metrics") as r:
            text = await r.text()
        return float(re.search(r"^mlsquiz_replicas_alive (\S+)$", text, re.M).group(1))

    for _ in range(50):
        if [await alive(p) for p in replicas.ports] == [2.0, 2.0]:
            break
        await asyncio.sleep(0.2)
    assert [await alive(p) for p in replicas.ports] == [2.0, 2.0]
    await replicas.bots[1].stop()  # a clean stop leaves at once: no lease to wait for
    for _ in range(50):
        if await alive(replicas.ports[0]) == 1.0:
            break
        await asyncio.sleep(0.2)
    assert await alive(replicas.ports[0]) == 1.0


async def test_a_group_round_driven_by_two_replicas_posts_each_question_once(standin: StandIn, bank,
                                                                           tmp_path: Path):
    """Both replicas look for due rounds every second; each question is posted once and revealed once, and every
    player's press counts once, whichever replica took it in."""
    from tests.test_e2e_groups import (
        ADMIN,
        BOB,
        CARA,
        DAN,
        GROUP_ID,
        START,
        close,
        join,
        next_question,
        press,
        start_round,
    )

    clock = FakeClock(START)
    pair = Replicas(standin, bank, tmp_path / "replicas.sqlite3", clock=clock)
    await pair.start(standin)
    standin.admins[GROUP_ID] = {ADMIN}
    try:
        await join(standin)
        question = await start_round(standin)
        for number in (1, 2):
            if number == 2:
                mark = len(standin.calls)
                clock.advance(seconds=5)
                question = await next_question(standin, 2, mark)
            right = correct_positions(bank, question)[0]
            for player in (BOB, CARA, DAN):  # to the two replicas in turn
                clock.advance(seconds=1)
                assert "Locked in" in await press(standin, player, question, right)
            await close(standin, clock, question, 20)
        mark = len(standin.calls)
        clock.advance(seconds=6)  # the results follow the last reveal
        final = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == GROUP_ID, after=mark)
        await asyncio.sleep(1.5)  # both replicas tick again: nothing more is posted
        posted = [c.plain for c in standin.calls if c.method == "sendMessage" and c.chat_id == GROUP_ID]
        assert sum("Question 1/" in t for t in posted) == 1 and sum("Question 2/" in t for t in posted) == 1
        assert posted[-1] == final.plain and sum(t == final.plain for t in posted) == 1
        reveals = [c for c in standin.calls if c.method == "editMessageText" and c.chat_id == GROUP_ID]
        assert len(reveals) == 2
        with db_connect(tmp_path / "replicas.sqlite3") as conn:
            assert conn.execute("SELECT COUNT(*) FROM round_answers").fetchone() == (6,)
            assert conn.execute("SELECT status FROM rounds").fetchone() == ("finished",)
    finally:
        await pair.stop()
