"""Odd and hostile updates: no traceback, a sensible reply where one is due, and the bot keeps serving others."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from typing import Any

import pytest

from tests.conftest import build_answer, correct_positions, item_positions, question_in
from tests.standin import BOT_ID, BOT_USERNAME, StandIn

_ids = itertools.count(800_001)
NOW = int(time.time())
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "MLS Quiz", "username": BOT_USERNAME}
GROUP = {"id": -100_555, "type": "supergroup", "title": "ML study"}
CHANNEL = {"id": -100_777, "type": "channel", "title": "news"}

REPLY = "reply"  # the sender's chat gets a message, or a callback gets an answer
SILENT = "silent"  # nothing is sent to that chat (ignoring is the sensible answer)
ANY = "any"  # either, as long as nothing fails


def person(uid: int, **extra: Any) -> dict:
    return {"id": uid, "is_bot": False, "first_name": "Eve", **extra}


def private(uid: int, **fields: Any) -> tuple[int, dict]:
    """A private message from a fresh user; returns (chat to watch, update)."""
    msg = {"message_id": next(_ids), "date": NOW, "chat": {"id": uid, "type": "private", "first_name": "Eve"},
           "from": person(uid), **fields}
    return uid, {"message": msg}


def text(uid: int, body: str, **extra: Any) -> tuple[int, dict]:
    fields: dict[str, Any] = {"text": body, **extra}
    if body.startswith("/"):
        fields["entities"] = [{"type": "bot_command", "offset": 0, "length": len(body.split()[0])}]
    return private(uid, **fields)


def callback(uid: int, data: str | None, *, message: bool = True, **extra: Any) -> tuple[int, dict]:
    query: dict[str, Any] = {"id": f"cb{uid}", "from": person(uid), "chat_instance": str(uid), **extra}
    if data is not None:
        query["data"] = data
    if message:
        query["message"] = {"message_id": 5, "date": NOW, "chat": {"id": uid, "type": "private"},
                            "from": BOT_USER, "text": "an old question"}
    else:
        query["inline_message_id"] = "AAAAinline"
    return uid, {"callback_query": query}


def group_message(uid: int, **fields: Any) -> tuple[int, dict]:
    """A message in a group of its own (so replies to one case are not mistaken for another's)."""
    chat = {**GROUP, "id": -uid}
    msg = {"message_id": next(_ids), "date": NOW, "chat": chat, "from": person(uid), **fields}
    return chat["id"], {"message": msg}


def member_update(chat: dict, uid: int, old: str, new: str, key: str = "my_chat_member") -> tuple[int, dict]:
    who = BOT_USER if key == "my_chat_member" else person(uid + 1)

    def member(status: str) -> dict:
        return {"status": status, "user": who, **({"until_date": 0} if status == "kicked" else {})}

    return chat["id"], {key: {"chat": chat, "from": person(uid), "date": NOW,
                              "old_chat_member": member(old), "new_chat_member": member(new)}}


def corpus() -> list[tuple[str, str, int, dict]]:
    """(name, expectation, chat to watch, update) — each case from its own user."""
    uid = itertools.count(810_001)
    photo = [{"file_id": "p1", "file_unique_id": "u1", "width": 90, "height": 90}]
    cases: list[tuple[str, str, tuple[int, dict]]] = [
        # text of every shape
        ("4096 chars", REPLY, text(next(uid), "x" * 4096)),
        ("5000 chars", REPLY, text(next(uid), "word " * 1000)),
        ("empty text", ANY, text(next(uid), "")),
        ("whitespace only", REPLY, text(next(uid), "   \n\t ")),
        ("emoji only", REPLY, text(next(uid), "🤖🔥💯" * 30)),
        ("RTL Arabic", REPLY, text(next(uid), "مرحبا، ما هو أفضل خوارزمية؟")),
        ("RTL Hebrew mixed", REPLY, text(next(uid), "שלום XGBoost \u202etxt.exe")),
        ("zero-width", REPLY, text(next(uid), "\u200b\u200c\u200d\ufeff")),
        ("NUL byte", REPLY, text(next(uid), "a\x00b")),
        ("HTML in text", REPLY, text(next(uid), "<b>bold</b> &amp; <script>alert(1)</script>")),
        ("combining marks", REPLY, text(next(uid), "Z̵̡̢͇̭a̶l̷g̸o̵" * 20)),
        # commands with junk
        ("/start junk", REPLY, text(next(uid), "/start 💥 ../../etc/passwd ' OR 1=1 --")),
        ("/quiz junk", REPLY, text(next(uid), "/quiz %s%s%n")),
        ("/daily 99:99", REPLY, text(next(uid), "/daily 99:99")),
        ("/daily junk", REPLY, text(next(uid), "/daily tomorrow-ish 7:30:00:00")),
        ("/daily huge", REPLY, text(next(uid), "/daily " + "9" * 3000)),
        ("/timezone injection", REPLY, text(next(uid), "/timezone Europe/Berlin'; DROP TABLE users; --")),
        ("/timezone path", REPLY, text(next(uid), "/timezone ../../../etc/localtime")),
        ("/timezone long", REPLY, text(next(uid), "/timezone " + "A/" * 2000)),
        ("/stats args", REPLY, text(next(uid), "/stats please now")),
        ("/help emoji", REPLY, text(next(uid), "/help 🆘")),
        ("unknown command", REPLY, text(next(uid), "/rm_rf_everything")),
        ("uppercase command", REPLY, text(next(uid), "/QUIZ")),
        ("other bot's command", ANY, text(next(uid), "/quiz@some_other_bot")),
        ("our bot's command", REPLY, text(next(uid), f"/quiz@{BOT_USERNAME}")),
        ("bare slash", REPLY, text(next(uid), "/")),
        # forged and odd callback data
        ("forged ask id", REPLY, callback(next(uid), "a:999999999:0")),
        ("negative ask", REPLY, callback(next(uid), "a:-5:0")),
        ("non-numeric ask", REPLY, callback(next(uid), "a:abc:zz")),
        ("toggle out of range", REPLY, callback(next(uid), "t:1:99")),
        ("empty data", REPLY, callback(next(uid), "")),
        ("64-byte junk", REPLY, callback(next(uid), "x" * 64)),
        ("oversized data", REPLY, callback(next(uid), "a:" + "9" * 200)),
        ("unicode data", REPLY, callback(next(uid), "z:Ёжик/В_тумане")),
        ("forged zone", REPLY, callback(next(uid), "z:Mars/Phobos")),
        ("forged time", REPLY, callback(next(uid), "d:t:2599")),
        ("forged size", REPLY, callback(next(uid), "d:n:100000")),
        ("game callback, no data", ANY, callback(next(uid), None, game_short_name="snake")),
        ("inline message callback", ANY, callback(next(uid), "a:1:0", message=False)),
        # non-text messages
        ("sticker", REPLY, private(next(uid), sticker={"file_id": "s", "file_unique_id": "s", "type": "regular",
                                                      "width": 512, "height": 512, "is_animated": False,
                                                      "is_video": False})),
        ("photo", REPLY, private(next(uid), photo=photo, caption="what is this?")),
        ("voice", REPLY, private(next(uid), voice={"file_id": "v", "file_unique_id": "v", "duration": 3})),
        ("location", REPLY, private(next(uid), location={"latitude": 52.5, "longitude": 13.4})),
        ("contact", REPLY, private(next(uid), contact={"phone_number": "+100", "first_name": "X"})),
        ("dice", REPLY, private(next(uid), dice={"emoji": "🎲", "value": 6})),
        ("document", REPLY, private(next(uid), document={"file_id": "d", "file_unique_id": "d"})),
        ("forwarded", REPLY, text(next(uid), "forwarded text",
                                  forward_origin={"type": "hidden_user", "date": NOW, "sender_user_name": "X"})),
        ("from a bot", ANY, private(next(uid), text="hello", **{"from": {"id": 123, "is_bot": True,
                                                                         "first_name": "OtherBot"}})),
        ("far-future date", REPLY, text(next(uid), "/help", date=NOW + 10**8)),
        # updates that are not messages from a person
        ("channel post", SILENT, (CHANNEL["id"], {"channel_post": {"message_id": next(_ids), "date": NOW,
                                                                   "chat": CHANNEL, "text": "/quiz"}})),
        ("edited channel post", SILENT, (CHANNEL["id"], {"edited_channel_post": {
            "message_id": next(_ids), "date": NOW, "edit_date": NOW, "chat": CHANNEL, "text": "x"}})),
        ("message without from", ANY, (-830_024, {"message": {"message_id": next(_ids), "date": NOW,
                                                              "chat": {**GROUP, "id": -830_024},
                                                              "text": "anonymous admin",
                                                              "sender_chat": {**GROUP, "id": -830_024}}})),
        # private messages with no sender: ordinary input (Telegram does not promise `from`)
        ("private text without from", REPLY, (830_030, {"message": {
            "message_id": next(_ids), "date": NOW, "chat": {"id": 830_030, "type": "private"}, "text": "hello"}})),
        ("private /quiz without from", REPLY, (830_031, {"message": {
            "message_id": next(_ids), "date": NOW, "chat": {"id": 830_031, "type": "private"}, "text": "/quiz",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}})),
        ("private /stats without from", REPLY, (830_032, {"message": {
            "message_id": next(_ids), "date": NOW, "chat": {"id": 830_032, "type": "private"}, "text": "/stats",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}})),
        ("private sticker without from", REPLY, (830_033, {"message": {
            "message_id": next(_ids), "date": NOW, "chat": {"id": 830_033, "type": "private"},
            "sticker": {"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 512, "height": 512,
                        "is_animated": False, "is_video": False}}})),
        ("group /compete from an anonymous admin", ANY, (-830_034, {"message": {
            "message_id": next(_ids), "date": NOW, "chat": {**GROUP, "id": -830_034}, "text": "/compete",
            "entities": [{"type": "bot_command", "offset": 0, "length": 8}],
            "from": {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"},
            "sender_chat": {**GROUP, "id": -830_034}}})),
        ("group /leaderboard without from", ANY, (-830_035, {"message": {
            "message_id": next(_ids), "date": NOW, "chat": {**GROUP, "id": -830_035}, "text": "/leaderboard",
            "entities": [{"type": "bot_command", "offset": 0, "length": 12}]}})),
        ("inline callback to a button with a next question", ANY, callback(next(uid), "n:1", message=False)),
        ("channel post command", SILENT, (CHANNEL["id"] - 1, {"channel_post": {
            "message_id": next(_ids), "date": NOW, "chat": {**CHANNEL, "id": CHANNEL["id"] - 1}, "text": "/stats",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}})),
        ("edited message", SILENT, (830_001, {"edited_message": {
            "message_id": 9, "date": NOW, "edit_date": NOW, "chat": {"id": 830_001, "type": "private"},
            "from": person(830_001), "text": "/quiz"}})),
        ("poll answer, unknown poll", SILENT, (830_002, {"poll_answer": {"poll_id": "nope", "user": person(830_002),
                                                                          "option_ids": [0],
                                                                          "option_persistent_ids": ["0"]}})),
        ("poll state", SILENT, (830_003, {"poll": {"id": "p9", "question": "q", "options": [],
                                                   "total_voter_count": 0, "is_closed": True, "is_anonymous": False,
                                                   "type": "quiz", "allows_multiple_answers": False,
                                                   "allows_revoting": False, "members_only": False}})),
        ("inline query", SILENT, (830_004, {"inline_query": {"id": "iq", "from": person(830_004), "query": "xgb",
                                                             "offset": ""}})),
        ("future update type", SILENT, (830_005, {"something_new_in_bot_api_99": {"x": 1}})),
        ("unreadable update", SILENT, (830_023, {"poll_answer": {"poll_id": "p", "user": person(830_023)}})),
        ("bot blocked (private)", SILENT, member_update({"id": 830_006, "type": "private"}, 830_006,
                                                        "member", "kicked")),
        ("bot added to group", REPLY, member_update(GROUP, 830_007, "left", "member")),
        ("bot removed from group", SILENT, member_update({**GROUP, "id": -100_556}, 830_008, "member", "kicked")),
        ("chat member change", SILENT, member_update({**GROUP, "id": -830_009}, 830_009, "member", "left",
                                                     key="chat_member")),
        ("join request", SILENT, (-830_010, {"chat_join_request": {"chat": {**GROUP, "id": -830_010},
                                                                   "from": person(830_010),
                                                                   "user_chat_id": 830_010, "date": NOW}})),
        ("reaction", SILENT, (830_011, {"message_reaction": {"chat": {"id": 830_011, "type": "private"},
                                                             "message_id": 5, "date": NOW, "user": person(830_011),
                                                             "old_reaction": [],
                                                             "new_reaction": [{"type": "emoji", "emoji": "👍"}]}})),
        # group service messages and chatter
        ("new members", SILENT, group_message(830_012, new_chat_members=[person(830_013), BOT_USER])),
        ("member left", SILENT, group_message(830_014, left_chat_member=person(830_015))),
        ("title changed", SILENT, group_message(830_016, new_chat_title="ML study 2")),
        ("group created", SILENT, group_message(830_017, group_chat_created=True)),
        ("pinned", SILENT, group_message(830_018, pinned_message={"message_id": 1, "date": 0,
                                                                  "chat": GROUP})),
        ("group chatter", SILENT, group_message(830_019, text="anyone studying tonight?")),
        ("group photo", SILENT, group_message(830_020, photo=photo)),
        ("forum topic message", SILENT, group_message(830_021, text="hi", message_thread_id=7, is_topic_message=True)),
        ("migrated to supergroup", SILENT, group_message(830_022, migrate_to_chat_id=-100_999)),
    ]
    return [(name, expect, chat, update) for name, expect, (chat, update) in cases]


def replies_to(standin: StandIn, chat: int, update: dict, after: int) -> list:
    query = update.get("callback_query")
    return [c for c in standin.calls[after:]
            if (c.method.startswith(("send", "edit")) and c.chat_id == chat)
            or (query is not None and c.method == "answerCallbackQuery"
                and c.params.get("callback_query_id") == query["id"])]


async def test_hostile_corpus(bot, standin: StandIn, bank, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.WARNING)
    cases = corpus()
    assert len(cases) >= 50
    mark = len(standin.calls)
    pushed = [await standin.push(update) for _, _, _, update in cases]

    # A normal user is served while (and after) all of that arrives.
    await standin.send_text(42, "/quiz")
    question = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == 42, after=mark, timeout=20)
    assert question_in(bank, question.text)

    # Wait until every update is handled (recorded as processed), then look at what was sent.
    from tests.conftest import open_test_database

    deadline = time.monotonic() + 30
    last = pushed[-1]["update_id"]
    while time.monotonic() < deadline:
        db = await open_test_database(bot.settings.db)
        try:
            async with db.read() as conn, conn.execute(
                "SELECT COUNT(*) FROM processed_updates WHERE update_id <= ?", (last,)
            ) as cur:
                done = (await cur.fetchone())[0]
        finally:
            await db.close()
        if done >= len(cases):
            break
        await asyncio.sleep(0.1)
    assert done >= len(cases), f"only {done} of {len(cases)} updates were handled"

    problems = []
    for (name, expect, chat, _), update in zip(cases, pushed, strict=True):
        got = replies_to(standin, chat, update, mark)
        if expect == REPLY and not got:
            problems.append(f"{name}: no reply")
        if expect == SILENT and any(c.method.startswith("send") for c in got):
            problems.append(f"{name}: unexpected {[c.text[:40] for c in got]}")
        for c in got:
            body = c.text or str(c.params.get("text", ""))
            if "Traceback" in body or "something went wrong" in body:
                problems.append(f"{name}: error shown to the user: {body[:80]!r}")
            if len(body) > 4096:
                problems.append(f"{name}: reply of {len(body)} chars")
    assert not problems, "\n".join(problems)
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not failures, [r.getMessage() for r in failures]


async def test_same_update_ten_times_has_one_effect(bot, standin: StandIn, bank):
    """Telegram redelivering one update ten times: one question asked, one answer counted."""
    user = 840_001
    mark = len(standin.calls)
    first = await standin.send_text(user, "/quiz")
    for _ in range(9):
        await standin.redeliver(first)
    question = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == user, after=mark)
    q = question_in(bank, question.text)
    if q.type.value == "fill":
        tap = await standin.send_text(user, q.answer)
    elif q.type.value in ("ordering", "matching"):
        tap = await build_answer(standin, bank, user, question, item_positions(bank, question))
    else:
        right = correct_positions(bank, question)
        if q.type.value == "single":
            tap = await standin.tap(user, question, question.buttons()[right[0]]["callback_data"])
        else:
            toggles = [b["callback_data"] for b in question.buttons() if b["callback_data"].startswith("t:")]
            for pos in right:
                m = len(standin.calls)
                await standin.tap(user, question, toggles[pos])
                await standin.wait_for(lambda c: c.method == "editMessageReplyMarkup", after=m)
            submit = next(b["callback_data"] for b in question.buttons() if b["callback_data"].startswith("s:"))
            tap = await standin.tap(user, question, submit)
    for _ in range(9):
        await standin.redeliver(tap)
    await standin.wait_for(lambda c: c.chat_id == user and "Right!" in c.plain, after=mark)
    mark2 = len(standin.calls)
    await standin.send_text(user, "/stats")
    stats = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == user
                                   and "Answered:" in c.plain, after=mark2)
    def is_question(c) -> bool:
        return c.method == "sendMessage" and c.chat_id == user and (
            any(b["callback_data"][:2] in ("a:", "t:", "o:", "m:") for b in c.buttons())
            or "Type your answer" in c.plain)

    questions = [c for c in standin.calls[mark:] if is_question(c)]
    verdicts = [c for c in standin.calls[mark:] if c.chat_id == user and "Right!" in c.plain]
    assert len(questions) == 1, [c.text[:50] for c in questions]
    assert "Answered: 1 · correct: 1" in stats.plain
    assert len(verdicts) == 1, [c.method for c in verdicts]


async def handled_between(bot, first: int, last: int, want: int, tries: int = 100) -> int:
    """How many updates with ids first..last are recorded as handled, waiting up to tries/10 s for `want`."""
    from tests.conftest import open_test_database

    done = 0
    for _ in range(tries):
        db = await open_test_database(bot.settings.db)
        try:
            async with db.read() as conn:
                done = (await conn.execute_fetchall(
                    "SELECT COUNT(*) FROM processed_updates WHERE update_id BETWEEN ? AND ?", (first, last)))[0][0]
        finally:
            await db.close()
        if done >= want:
            break
        await asyncio.sleep(0.1)
    return done


@pytest.mark.real_limits
async def test_a_flooding_user_gets_at_most_one_message_a_second(bot, standin: StandIn, bank):
    """50 messages a second from one person: every one is handled, the bot answers them at most once a
    second, stops answering pointers while the flood lasts, and keeps serving someone else."""
    flooder, other = 850_001, 850_002
    mark = len(standin.calls)
    pushed = []
    for i in range(100):  # two seconds at 50 a second
        pushed.append(await standin.send_text(flooder, f"spam {i} 🤖"))
        if i == 50:
            await standin.send_text(other, "/quiz")
        await asyncio.sleep(0.02)
    question = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == other, after=mark)
    assert question_in(bank, question.text)

    done = await handled_between(bot, pushed[0]["update_id"], pushed[-1]["update_id"], want=101)
    assert done >= 101, f"{done} of 101 updates handled"
    await asyncio.sleep(1.5)  # anything still to be sent would be sent now
    sent = [c for c in standin.calls[mark:] if c.method.startswith("send") and c.chat_id == flooder]
    gaps = [b.at - a.at for a, b in itertools.pairwise(sent)]
    assert sent, "the flooder got no pointer at all"
    assert len(sent) <= 10, f"{len(sent)} replies to a flood of 100"
    assert all(g >= 0.9 for g in gaps), f"messages to one chat closer than a second apart: {gaps}"


@pytest.mark.real_limits
async def test_a_quiz_flood_gets_a_few_questions_not_a_queue_of_them(bot, standin: StandIn, bank):
    """100 /quiz at 50 a second: at one message a second, asking each would keep the chat busy for 100 s.
    The bot asks once per burst instead, and has handled the whole flood within seconds."""
    flooder = 850_003
    mark = len(standin.calls)
    pushed = [await standin.send_text(flooder, "/quiz")]
    for _ in range(99):
        await asyncio.sleep(0.02)
        pushed.append(await standin.send_text(flooder, "/quiz"))

    done = await handled_between(bot, pushed[0]["update_id"], pushed[-1]["update_id"], want=100)
    assert done >= 100, f"{done} of 100 updates handled 10 s after the flood"
    await asyncio.sleep(1.5)
    asked = [c for c in standin.calls[mark:] if c.method == "sendMessage" and c.chat_id == flooder]
    assert 1 <= len(asked) <= 10, f"{len(asked)} questions for a flood of 100 /quiz"
    assert all(question_in(bank, c.text) for c in asked)
    gaps = [b.at - a.at for a, b in itertools.pairwise(asked)]
    assert all(g >= 0.9 for g in gaps), gaps


async def test_a_quiz_followed_by_a_burst_of_other_messages_is_still_asked(bot, standin: StandIn, bank):
    """Only a /quiz with another /quiz waiting behind it is left out during a flood."""
    user = 850_004
    mark = len(standin.calls)
    # The second /quiz and eight more messages queue up while the first /quiz is handled.
    await standin.send_text(user, "/quiz")
    await standin.send_text(user, "/quiz")
    for i in range(8):
        await standin.send_text(user, f"hello {i}")

    def is_question(c) -> bool:
        return c.method == "sendMessage" and c.chat_id == user and bool(c.markup or "Type your answer" in c.text)

    first = await standin.wait_for(is_question, after=mark)
    second = await standin.wait_for(is_question, after=standin.calls.index(first) + 1)
    assert question_in(bank, first.text) and question_in(bank, second.text)


async def test_a_lone_surrogate_echoed_back_does_not_break_the_reply(bot, standin: StandIn):
    """JSON lets a client send half an emoji (a lone UTF-16 surrogate); a reply quoting it must still go out."""
    user = 850_005
    mark = len(standin.calls)
    await standin.send_text(user, "/drill zz\ud83dzz")
    reply = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == user, after=mark)
    assert "no topic called" in reply.plain
    assert not [c for c in standin.calls[mark:] if "went wrong" in c.text]
