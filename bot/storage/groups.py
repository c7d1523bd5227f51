"""Queries for group competitions: groups, rounds, round answers, leaderboards and the weekly post."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.domain.competition import Scored
from bot.domain.memory import DEFAULT_MODEL, Memory, Model
from bot.storage.db import Database
from bot.storage.dialect import INTEGRITY_ERRORS, next_ids
from bot.storage.replicas import ALIVE, Replica
from bot.storage.repo import DayProgress
from bot.storage.reviews import REVIEW_COUNT, REVIEW_INSERT, review_count_row, review_row


def _iso(t: datetime) -> str:
    # One offset for every stored instant, so ISO strings compare in time order.
    return t.astimezone(UTC).isoformat()


def _dt(s: str | None) -> datetime | None:
    return datetime.fromisoformat(s) if s else None


@dataclass(frozen=True)
class Group:
    chat_id: int
    title: str | None
    tz: str
    seconds: int
    open_to_all: bool
    active: bool
    exam: str | None = None  # the exam its rounds draw from; None: the bank's default


def _group(row) -> Group:
    return Group(row["chat_id"], row["title"], row["tz"], row["seconds"], bool(row["open_to_all"]), bool(row["active"]),
                 row["exam"])


@dataclass(frozen=True)
class Round:
    id: int
    chat_id: int
    topic: str | None
    questions: tuple[str, ...]
    orders: tuple[tuple[int, ...], ...]
    seconds: int
    position: int
    phase: str
    status: str
    message_id: int | None
    opened_at: datetime | None
    closes_at: datetime | None
    next_at: datetime | None
    started_at: datetime
    ended_early: bool


def _round(row) -> Round:
    return Round(
        id=row["id"], chat_id=row["chat_id"], topic=row["topic"], questions=tuple(json.loads(row["questions"])),
        orders=tuple(tuple(o) for o in json.loads(row["orders"])), seconds=row["seconds"], position=row["position"],
        phase=row["phase"], status=row["status"], message_id=row["message_id"], opened_at=_dt(row["opened_at"]),
        closes_at=_dt(row["closes_at"]), next_at=_dt(row["next_at"]),
        started_at=datetime.fromisoformat(row["started_at"]),
        ended_early=bool(row["ended_early"]),
    )


@dataclass(frozen=True)
class NewAnswer:
    """A player's first answer to a round's question, with everything their own record needs."""

    round_id: int
    position: int
    chat_id: int
    user_id: int
    first_name: str | None
    default_tz: str
    shown: int
    correct: bool
    elapsed_ms: int
    points: int
    update_id: int | None
    question_id: str
    kind: str
    domain: str
    topic: str
    option_order: tuple[int, ...]
    response: str  # the picked option indices as JSON, as a private answer stores them
    asked_at: datetime
    memory: Memory
    progress: DayProgress
    answered_at: datetime  # when the press arrived


@dataclass(frozen=True)
class PlayerContext:
    """What scoring and the player's own record need to know before an answer is written."""

    before: dict[int, bool]  # position -> correct, this round so far
    tz: str | None
    daily_size: int | None
    card: str | None
    model: Model = DEFAULT_MODEL  # the player's memory model (FSRS parameters and retention)


@dataclass(frozen=True)
class BoardRow:
    user_id: int
    name: str
    points: int
    correct: int
    answered: int


class GroupRepo:
    def __init__(self, db: Database, replica: Replica | None = None):
        self.db = db
        self.replica = replica or Replica(db)

    # --- groups -------------------------------------------------------------------------------

    async def join(self, chat_id: int, title: str | None, now: datetime) -> bool:
        """The bot is (again) in the group; True if it was not active there before."""
        async with self.db.tx() as conn:
            async with conn.execute("SELECT active FROM groups WHERE chat_id = ?", (chat_id,)) as cur:
                row = await cur.fetchone()
            await conn.execute(
                "INSERT INTO groups (chat_id, title, joined_at) VALUES (?, ?, ?) ON CONFLICT (chat_id) DO UPDATE SET "
                "title = COALESCE(excluded.title, groups.title), active = 1, left_at = NULL, "
                "joined_at = CASE WHEN groups.active = 0 THEN excluded.joined_at ELSE groups.joined_at END",
                (chat_id, title, _iso(now)),
            )
        return row is None or not row["active"]

    async def leave(self, chat_id: int, now: datetime) -> int | None:
        """The bot was removed: the group goes quiet and its running round is aborted (its id returned)."""
        async with self.db.tx() as conn:
            await conn.execute("UPDATE groups SET active = 0, left_at = ? WHERE chat_id = ?", (_iso(now), chat_id))
            cur = await conn.execute(
                "UPDATE rounds SET status = 'aborted', finished_at = ? WHERE chat_id = ? AND status = 'running' "
                "RETURNING id", (_iso(now), chat_id))
            row = await cur.fetchone()
            await cur.close()
        return row["id"] if row else None

    async def migrate(self, old: int, new: int) -> bool:
        """The group became a supergroup with a new chat id: move its settings, rounds and history over."""
        async with self.db.tx() as conn:
            if not list(await conn.execute_fetchall("SELECT 1 FROM groups WHERE chat_id = ?", (old,))):
                return False
            await conn.execute(
                "INSERT INTO groups (chat_id, title, tz, seconds, open_to_all, active, joined_at) "
                "SELECT ?, title, tz, seconds, open_to_all, 1, joined_at FROM groups WHERE chat_id = ? "
                "ON CONFLICT (chat_id) DO NOTHING", (new, old))
            for table in ("rounds", "round_answers"):
                await conn.execute(f"UPDATE {table} SET chat_id = ? WHERE chat_id = ?", (new, old))  # noqa: S608 (a fixed name)
            # A week the new id has already posted for keeps that record; the old one's goes.
            await conn.execute("DELETE FROM group_weekly_posts WHERE chat_id = ? AND week IN "
                               "(SELECT week FROM group_weekly_posts WHERE chat_id = ?)", (old, new))
            await conn.execute("UPDATE group_weekly_posts SET chat_id = ? WHERE chat_id = ?", (new, old))
            await conn.execute("UPDATE asks SET chat_id = ? WHERE chat_id = ? AND origin = 'group'", (new, old))
            await conn.execute("DELETE FROM groups WHERE chat_id = ?", (old,))
        return True

    async def get(self, chat_id: int) -> Group | None:
        async with self.db.read() as conn, conn.execute("SELECT * FROM groups WHERE chat_id = ?", (chat_id,)) as cur:
            row = await cur.fetchone()
        return _group(row) if row else None

    async def update(self, chat_id: int, *, seconds: int, open_to_all: bool, tz: str, exam: str | None) -> None:
        async with self.db.tx() as conn:
            await conn.execute("UPDATE groups SET seconds = ?, open_to_all = ?, tz = ?, exam = ? WHERE chat_id = ?",
                               (seconds, int(open_to_all), tz, exam, chat_id))

    # --- rounds -------------------------------------------------------------------------------

    async def start_round(self, chat_id: int, started_by: int, topic: str | None, questions: list[str],
                          orders: list[list[int]], seconds: int, now: datetime) -> int | None:
        """A new running round; None if the group already has one (the unique index decides)."""
        try:
            async with self.db.tx() as conn:
                cur = await conn.execute(
                    # Its first question is this replica's to post, after the "round started" it posts now.
                    "INSERT INTO rounds (chat_id, started_by, topic, questions, orders, seconds, started_at, "
                    "sending_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (chat_id, started_by, topic, json.dumps(questions), json.dumps(orders), seconds, _iso(now),
                     self.replica.id),
                )
                return int((await cur.fetchone())[0])
        except INTEGRITY_ERRORS:
            return None

    async def get_round(self, round_id: int) -> Round | None:
        async with self.db.read() as conn:
            rows = list(await conn.execute_fetchall("SELECT * FROM rounds WHERE id = ?", (round_id,)))
        return _round(rows[0]) if rows else None

    async def running_round(self, chat_id: int) -> Round | None:
        async with self.db.read() as conn, conn.execute(
            "SELECT * FROM rounds WHERE chat_id = ? AND status = 'running'", (chat_id,)
        ) as cur:
            row = await cur.fetchone()
        return _round(row) if row else None

    async def due_rounds(self, now: datetime) -> list[int]:
        """Running rounds with something to do: a question to post, to close, or the next one to begin."""
        t = _iso(now)
        async with self.db.read() as conn, conn.execute(
            "SELECT id FROM rounds WHERE status = 'running' AND (phase = 'sending' "
            "OR (phase = 'open' AND closes_at <= ?) OR (phase = 'reveal' AND next_at <= ?))",
            (t, t),
        ) as cur:
            return [r[0] for r in await cur.fetchall()]

    async def opened(self, round_id: int, position: int, message_id: int, opened_at: datetime,
                     closes_at: datetime) -> bool:
        async with self.db.tx() as conn:
            cur = await conn.execute(
                "UPDATE rounds SET phase = 'open', message_id = ?, opened_at = ?, closes_at = ? "
                "WHERE id = ? AND position = ? AND phase = 'sending' AND status = 'running'",
                (message_id, _iso(opened_at), _iso(closes_at), round_id, position),
            )
            return cur.rowcount == 1

    async def claim_send(self, round_id: int, position: int) -> bool:
        """Take the posting of the round's next question: one replica posts it, and another only once that one
        has stopped beating (a question posted twice would split the group's presses)."""
        async with self.db.tx() as conn:
            cur = await conn.execute(
                "UPDATE rounds SET sending_by = ? WHERE id = ? AND position = ? AND phase = 'sending' "  # noqa: S608 (ALIVE is a constant; values bound)
                f"AND status = 'running' AND (sending_by IS NULL OR sending_by = ? OR sending_by NOT IN ({ALIVE}))",
                (self.replica.id, round_id, position, self.replica.id, self.replica.alive_after()),
            )
            return cur.rowcount == 1

    async def close_question(self, round_id: int, position: int, next_at: datetime) -> bool:
        async with self.db.tx() as conn:
            cur = await conn.execute(
                "UPDATE rounds SET phase = 'reveal', next_at = ? "
                "WHERE id = ? AND position = ? AND phase = 'open' AND status = 'running'",
                (_iso(next_at), round_id, position),
            )
            return cur.rowcount == 1

    async def advance(self, round_id: int, position: int) -> bool:
        async with self.db.tx() as conn:
            cur = await conn.execute(
                "UPDATE rounds SET phase = 'sending', position = position + 1, message_id = NULL, opened_at = NULL, "
                "closes_at = NULL, next_at = NULL, sending_by = NULL "
                "WHERE id = ? AND position = ? AND phase = 'reveal' AND status = 'running'",
                (round_id, position),
            )
            return cur.rowcount == 1

    async def finish(self, round_id: int, status: str, now: datetime, ended_early: bool = False) -> bool:
        async with self.db.tx() as conn:
            cur = await conn.execute(
                "UPDATE rounds SET status = ?, finished_at = ?, ended_early = ? WHERE id = ? AND status = 'running'",
                (status, _iso(now), int(ended_early), round_id),
            )
            return cur.rowcount == 1

    # --- answers ------------------------------------------------------------------------------

    async def player_contexts(self, keys: list[tuple[int, int, str]]) -> dict[tuple[int, int, str], PlayerContext]:
        """For (round, user, question) keys, in one query: the player's answers in the round so far, their
        zone and goal, and their card for the question."""
        if not keys:
            return {}
        values = ", ".join("(?, ?, ?)" for _ in keys)
        async with self.db.read() as conn:
            rows = await conn.execute_fetchall(
                f"WITH k(r, u, q) AS (VALUES {values}) "  # noqa: S608 (placeholders only)
                "SELECT k.r, k.u, k.q, u.tz, u.daily_size, c.card, u.memory_params, u.retention "
                "FROM k LEFT JOIN users u ON u.id = k.u LEFT JOIN cards c ON c.user_id = k.u AND c.question_id = k.q",
                [v for key in keys for v in key],
            )
            pairs = ", ".join("(?, ?)" for _ in keys)
            answered = await conn.execute_fetchall(
                f"WITH k(r, u) AS (VALUES {pairs}) SELECT ra.round_id, ra.user_id, ra.position, ra.correct "  # noqa: S608
                "FROM round_answers ra JOIN k ON ra.round_id = k.r AND ra.user_id = k.u",
                [v for r, u, _ in keys for v in (r, u)],
            )
        before: dict[tuple[int, int], dict[int, bool]] = {}
        for round_id, user_id, position, correct in answered:
            before.setdefault((round_id, user_id), {})[int(position)] = bool(correct)
        found = {}
        for r in rows:
            found[(r[0], r[1], r[2])] = PlayerContext(dict(before.get((r[0], r[1]), {})), r["tz"], r["daily_size"],
                                                  r["card"], Model.of(r["memory_params"], r["retention"]))
        return found

    async def record_answers(self, answers: list[NewAnswer]) -> list[int | str]:
        """Record answers for their rounds AND as the players' own (asks row, FSRS card, day): one transaction.

        Per answer: the new ask id, or 'closed' (the question is no longer open) or 'already' (the player
        answered it before). Both are decided inside the transaction, so an answer racing the close loses
        cleanly and a repeated one never counts twice.
        """
        if not answers:
            return []
        outcome: list[int | str] = ["closed"] * len(answers)
        values = ", ".join("(?, ?, ?, ?)" for _ in answers)
        async with self.db.tx() as conn:
            rows = await conn.execute_fetchall(
                f"WITH k(i, r, p, u) AS (VALUES {values}) SELECT k.i, "  # noqa: S608 (placeholders only)
                "EXISTS (SELECT 1 FROM rounds ro WHERE ro.id = k.r AND ro.position = k.p AND ro.phase = 'open' "
                "        AND ro.status = 'running') AS open, "
                "EXISTS (SELECT 1 FROM round_answers ra WHERE ra.round_id = k.r AND ra.position = k.p "
                "        AND ra.user_id = k.u) AS done FROM k",
                [v for i, a in enumerate(answers) for v in (i, a.round_id, a.position, a.user_id)],
            )
            accepted: list[tuple[int, NewAnswer]] = []
            taken: set[tuple[int, int, int]] = set()
            for r in rows:
                a = answers[r[0]]
                key = (a.round_id, a.position, a.user_id)
                if r["done"] or key in taken:
                    outcome[r[0]] = "already"
                elif r["open"]:
                    accepted.append((r[0], a))
                    taken.add(key)
            if not accepted:
                return outcome
            # Rows locked in one order (by user) by every replica's batch: two batches never wait on each other.
            accepted.sort(key=lambda x: (x[1].user_id, x[1].round_id, x[1].position))
            # A player who never opened a private chat is a user too (chat_id stays NULL until /start).
            await conn.executemany(
                "INSERT INTO users (id, chat_id, first_name, tz, created_at) VALUES (?, NULL, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET first_name = COALESCE(excluded.first_name, users.first_name)",
                [(a.user_id, a.first_name, a.default_tz, _iso(a.answered_at)) for _, a in accepted],
            )
            # Ids given here (the write lock is ours) so every round answer can name its asks row in one batch.
            reserved = await next_ids(conn, "asks", len(accepted))
            ask_ids = {i: reserved[n] for n, (i, _) in enumerate(accepted)}
            # Not through repo.insert_ask: that would close the player's open private fill-in question.
            await conn.executemany(
                "INSERT INTO asks (id, user_id, chat_id, question_id, kind, domain, topic, origin, option_order, "
                "asked_at, status, answered_at, correct, response, answer_update) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 'group', ?, ?, 'answered', ?, ?, ?, ?)",
                [(ask_ids[i], a.user_id, a.chat_id, a.question_id, a.kind, a.domain, a.topic,
                  json.dumps(list(a.option_order)), _iso(a.asked_at), _iso(a.answered_at), int(a.correct), a.response,
                  a.update_id)
                 for i, a in accepted],
            )
            await conn.executemany(
                "INSERT INTO round_answers (round_id, position, user_id, chat_id, shown, correct, elapsed_ms, points, "
                "ask_id, answered_at, update_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(a.round_id, a.position, a.user_id, a.chat_id, a.shown, int(a.correct), a.elapsed_ms, a.points,
                  ask_ids[i], _iso(a.answered_at), a.update_id) for i, a in accepted],
            )
            # The same card and day upserts as Repo.record_answer, so a group answer counts like a private one.
            await conn.executemany(
                "INSERT INTO cards (user_id, question_id, card, due, reviews, lapses) VALUES (?, ?, ?, ?, 1, ?) "
                "ON CONFLICT (user_id, question_id) DO UPDATE SET card = excluded.card, due = excluded.due, "
                "reviews = cards.reviews + 1, lapses = cards.lapses + excluded.lapses",
                [(a.user_id, a.question_id, a.memory.card_json, a.memory.due.isoformat(), 0 if a.correct else 1)
                 for _, a in accepted],
            )
            await conn.executemany(
                "INSERT INTO days (user_id, day, answered, correct, goal) VALUES (?, ?, 1, ?, ?) "
                "ON CONFLICT (user_id, day) DO UPDATE SET answered = days.answered + 1, "
                "correct = days.correct + excluded.correct",
                [(a.user_id, a.progress.day, int(a.correct), a.progress.goal) for _, a in accepted],
            )
            await conn.executemany(REVIEW_INSERT, [
                review_row(a.user_id, a.question_id, ask_ids[i], a.answered_at, a.memory, a.elapsed_ms / 1000)
                for i, a in accepted])
            await conn.executemany(REVIEW_COUNT, [review_count_row(a.user_id, a.answered_at) for _, a in accepted])
        for i, _ in accepted:
            outcome[i] = ask_ids[i]
        return outcome

    async def answers(self, round_id: int) -> list[Scored]:
        async with self.db.read() as conn, conn.execute(
            "SELECT ra.user_id, COALESCE(u.first_name, 'Player') AS name, ra.position, ra.correct, ra.points "
            "FROM round_answers ra LEFT JOIN users u ON u.id = ra.user_id WHERE ra.round_id = ?",
            (round_id,),
        ) as cur:
            return [Scored(r["user_id"], r["name"], r["position"], bool(r["correct"]), r["points"])
                    for r in await cur.fetchall()]

    # --- leaderboards and the weekly post ---------------------------------------------------------

    async def board(self, chat_id: int, since: datetime | None, until: datetime | None, limit: int) -> list[BoardRow]:
        lo = _iso(since) if since else ""
        hi = _iso(until) if until else "9999"
        async with self.db.read() as conn, conn.execute(
            "SELECT ra.user_id, COALESCE(u.first_name, 'Player') AS name, SUM(ra.points) AS points, "
            "SUM(ra.correct) AS correct, COUNT(*) AS answered FROM round_answers ra "
            "LEFT JOIN users u ON u.id = ra.user_id "
            "WHERE ra.chat_id = ? AND ra.answered_at >= ? AND ra.answered_at < ? "
            "GROUP BY ra.user_id, u.first_name ORDER BY points DESC, correct DESC, ra.user_id LIMIT ?",
            (chat_id, lo, hi, limit),
        ) as cur:
            return [BoardRow(r["user_id"], r["name"], r["points"], r["correct"], r["answered"])
                    for r in await cur.fetchall()]

    async def recently_active(self, since: datetime) -> list[Group]:
        """Groups the bot is still in that started a round since `since`."""
        async with self.db.read() as conn, conn.execute(
            "SELECT * FROM groups WHERE active = 1 AND chat_id IN (SELECT chat_id FROM rounds WHERE started_at >= ?)",
            (_iso(since),),
        ) as cur:
            return [_group(r) for r in await cur.fetchall()]

    async def weekly_status(self, chat_id: int, week: str) -> str | None:
        async with self.db.read() as conn, conn.execute(
            "SELECT status FROM group_weekly_posts WHERE chat_id = ? AND week = ?", (chat_id, week)
        ) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    async def claim_weekly(self, chat_id: int, week: str, now: datetime) -> bool:
        """Claim the week's post. A claim left unsent is taken over by its own process (its try failed) or by any
        process once its claimer stopped beating; never from a live replica that may be sending it right now."""
        async with self.db.tx() as conn:
            cur = await conn.execute(
                "INSERT INTO group_weekly_posts (chat_id, week, status, claimed_at, claimed_by) "  # noqa: S608 (ALIVE is a constant; values bound)
                "VALUES (?, ?, 'claimed', ?, ?) ON CONFLICT (chat_id, week) DO UPDATE "
                "SET claimed_at = excluded.claimed_at, claimed_by = excluded.claimed_by "
                "WHERE group_weekly_posts.status = 'claimed' AND (group_weekly_posts.claimed_by IS NULL "
                "OR group_weekly_posts.claimed_by = excluded.claimed_by "
                f"OR group_weekly_posts.claimed_by NOT IN ({ALIVE}))",
                (chat_id, week, _iso(now), self.replica.id, self.replica.alive_after()),
            )
            return cur.rowcount == 1

    async def weekly_done(self, chat_id: int, week: str, status: str, now: datetime) -> None:
        async with self.db.tx() as conn:
            await conn.execute("UPDATE group_weekly_posts SET status = ?, sent_at = ? WHERE chat_id = ? AND week = ?",
                               (status, _iso(now), chat_id, week))
