"""End to end in a private chat: Telegram updates in through getUpdates, Bot API calls out, real SQLite."""

from __future__ import annotations

import re

from bot.content import QuestionType
from bot.services.tracks import Tracks
from bot.tg.commands import COMMANDS
from tests.conftest import correct_positions, question_in, wrong_position
from tests.standin import Call, StandIn

USER = 4242


def is_question(call: Call) -> bool:
    return call.method == "sendMessage" and bool(call.markup or "Type your answer" in call.text)


async def ask_until(standin: StandIn, bank, kind: QuestionType, user: int = USER, tries: int = 60) -> Call:
    """Send /quiz until the bot asks a question of the wanted type; skipped ones stay unanswered."""
    for _ in range(tries):
        mark = len(standin.calls)
        await standin.send_text(user, "/quiz")
        call = await standin.wait_for(lambda c: is_question(c) and c.chat_id == user, after=mark)
        if question_in(bank, call.text).type is kind:
            return call
    raise AssertionError(f"no {kind} question in {tries} tries")


async def test_start_is_friendly_and_safe_twice(bot, standin: StandIn):
    await standin.send_text(USER, "/start")
    first = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == USER)
    assert "AWS Certified Machine Learning" in first.text and "/quiz" in first.text
    mark = len(standin.calls)
    await standin.send_text(USER, "/start")
    again = await standin.wait_for(lambda c: c.method == "sendMessage", after=mark)
    assert "Welcome back" in again.text


async def test_help_lists_every_command_and_menu_matches(bot, standin: StandIn):
    from bot.tg.commands import GROUP_MENU

    private = [c for c in COMMANDS if c.name not in GROUP_MENU]
    default = await standin.wait_for(lambda c: c.method == "setMyCommands" and "scope" not in c.params)
    groups = await standin.wait_for(lambda c: c.method == "setMyCommands" and "scope" in c.params)
    # Each chat's menu lists what works there: private commands in private chats, group ones in groups.
    assert [c["command"] for c in default.params["commands"]] == [c.name for c in private]
    assert [c["command"] for c in groups.params["commands"]] == list(GROUP_MENU)
    await standin.send_text(USER, "/help")
    reply = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == USER)
    for c in private:
        assert f"/{c.name} — {c.description}" in reply.text
    assert not any(f"/{name} — " in reply.text for name in GROUP_MENU)
    assert "/compete" in reply.text  # one line says how to play in a group
    assert len(reply.plain.splitlines()) <= 22, "/help should fit one phone screen"
    more = next(b["callback_data"] for b in reply.buttons() if b["text"].startswith("More"))
    mark = len(standin.calls)
    await standin.tap(USER, reply, more)
    rest = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == USER, after=mark)
    assert "●○○ recall" in rest.plain and "Mock exam" in rest.plain


async def test_single_choice_answer_explained_and_counted(bot, standin: StandIn, bank):
    question = await ask_until(standin, bank, QuestionType.single)
    q = question_in(bank, question.text)
    assert len(question.buttons()) == 4
    assert all(len(b["callback_data"].encode()) <= 64 for b in question.buttons())
    right = correct_positions(bank, question)
    assert len(right) == 1
    mark = len(standin.calls)
    await standin.tap(USER, question, question.buttons()[right[0]]["callback_data"])
    edited = await standin.wait_for(lambda c: c.method == "editMessageText", after=mark)
    assert "Right!" in edited.plain and q.explanation in edited.plain
    toast = await standin.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark)
    assert "Right" in toast.params.get("text", "")
    # One phone screen: the verdict and the short why; the long why behind "Why? ▸".
    assert len(edited.plain.splitlines()) <= 14 and len(edited.text) <= 1200, edited.plain
    if q.details:
        assert q.details[:50] not in edited.plain
        why = next(b["callback_data"] for b in edited.buttons() if b["text"] == "Why? ▸")
        mark = len(standin.calls)
        await standin.tap(USER, edited, why)
        longer = await standin.wait_for(lambda c: c.method == "editMessageText", after=mark)
        assert q.details[:50] in longer.plain and q.explanation in longer.plain

    mark = len(standin.calls)
    await standin.send_text(USER, "/stats")
    stats = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == USER, after=mark)
    assert "Answered: 1" in stats.plain and "(100%)" in stats.plain
    track = Tracks(bank).get(None)  # a new user studies for the default exam
    assert f"{track.names[track.domain_of[q.id]]} ({track.weights[track.domain_of[q.id]]:.0f}%): 100% of 1" \
        in stats.plain


async def test_double_tap_counts_once(bot, standin: StandIn, bank):
    question = await ask_until(standin, bank, QuestionType.single)
    wrong = wrong_position(bank, question)
    right = correct_positions(bank, question)[0]
    mark = len(standin.calls)
    await standin.tap(USER, question, question.buttons()[wrong]["callback_data"])
    await standin.wait_for(lambda c: c.method == "editMessageText", after=mark)
    mark = len(standin.calls)
    await standin.tap(USER, question, question.buttons()[right]["callback_data"])
    toast = await standin.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark)
    assert "already answered" in toast.params["text"]
    mark = len(standin.calls)
    await standin.send_text(USER, "/stats")
    stats = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == USER, after=mark)
    assert "Answered: 1" in stats.plain and "correct: 0" in stats.plain


async def test_choose_n_toggle_and_submit(bot, standin: StandIn, bank):
    question = await ask_until(standin, bank, QuestionType.multi)
    q = question_in(bank, question.text)
    right = correct_positions(bank, question)
    assert len(right) == q.choose >= 2
    toggles = [b for b in question.buttons() if b["callback_data"].startswith("t:")]
    submit = next(b for b in question.buttons() if b["callback_data"].startswith("s:"))
    for pos in right:
        mark = len(standin.calls)
        await standin.tap(USER, question, toggles[pos]["callback_data"])
        edit = await standin.wait_for(lambda c: c.method == "editMessageReplyMarkup", after=mark)
    assert f"Submit ({q.choose}/{q.choose})" in str(edit.markup)
    mark = len(standin.calls)
    await standin.tap(USER, question, submit["callback_data"])
    result = await standin.wait_for(lambda c: c.method == "editMessageText", after=mark)
    assert "Right!" in result.text


async def test_fill_in_answer_by_next_message(bot, standin: StandIn, bank):
    question = await ask_until(standin, bank, QuestionType.fill)
    q = question_in(bank, question.text)
    mark = len(standin.calls)
    await standin.send_text(USER, f"I think it's {q.answer.upper()}")
    reply = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == USER, after=mark)
    assert "Right!" in reply.text, reply.text
    # The question is closed now: more text is not an answer.
    mark = len(standin.calls)
    await standin.send_text(USER, q.answer)
    nudge = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == USER, after=mark)
    assert "/quiz" in nudge.text


async def test_next_button_asks_once_even_on_double_tap(bot, standin: StandIn, bank):
    question = await ask_until(standin, bank, QuestionType.single)
    mark = len(standin.calls)
    await standin.tap(USER, question, question.buttons()[0]["callback_data"])
    result = await standin.wait_for(lambda c: c.method == "editMessageText", after=mark)
    next_button = next(b["callback_data"] for b in result.buttons() if b["text"].startswith("Next"))
    assert re.fullmatch(r"n:\d+", next_button)
    mark = len(standin.calls)
    await standin.tap(USER, result, next_button)
    await standin.wait_for(lambda c: is_question(c), after=mark)
    mark2 = len(standin.calls)
    await standin.tap(USER, result, next_button)
    toast = await standin.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark2)
    assert "newer question" in toast.params["text"]
    assert sum(1 for c in standin.calls[mark:] if is_question(c)) == 1


async def test_forged_and_foreign_buttons_are_refused(bot, standin: StandIn, bank):
    question = await ask_until(standin, bank, QuestionType.single)
    data = question.buttons()[0]["callback_data"]
    ask_id = data.split(":")[1]
    cases = [
        (5151, data, "does not belong"),  # another user's question
        (USER, f"a:{ask_id}:9", "does not belong"),  # an option that does not exist
        (USER, "a:999999:0", "does not belong"),  # an ask that does not exist
        (USER, "x" * 200, "closed"),  # junk, oversized
        (USER, "s:" + ask_id, "does not belong"),  # submit on a single-answer question
    ]
    for user, payload, expected in cases:
        mark = len(standin.calls)
        await standin.tap(user, question, payload)
        toast = await standin.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark)
        assert expected in toast.params["text"], (payload, toast.params)
    mark = len(standin.calls)
    await standin.send_text(USER, "/stats")
    stats = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == USER, after=mark)
    assert "not answered any questions" in stats.plain


async def test_duplicate_update_has_one_effect(bot, standin: StandIn, bank):
    question = await ask_until(standin, bank, QuestionType.single)
    mark = len(standin.calls)
    update = await standin.tap(USER, question, question.buttons()[0]["callback_data"])
    await standin.wait_for(lambda c: c.method == "editMessageText", after=mark)
    for _ in range(3):
        await standin.redeliver(update)
    mark = len(standin.calls)
    await standin.send_text(USER, "/stats")
    stats = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == USER, after=mark)
    assert "Answered: 1" in stats.plain
    assert not [c for c in standin.calls[mark:] if c.method == "answerCallbackQuery"]


async def test_odd_input_gets_a_friendly_reply(bot, standin: StandIn):
    cases = [
        (standin.message_update(USER, "/frobnicate now"), "don't know /frobnicate"),
        (standin.message_update(USER, sticker={"file_id": "s", "file_unique_id": "s", "type": "regular",
                                                "width": 1, "height": 1, "is_animated": False, "is_video": False}),
         "only read text"),
        (standin.message_update(USER, photo=[{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]),
         "only read text"),
        (standin.message_update(USER, voice={"file_id": "v", "file_unique_id": "v", "duration": 1}), "only read text"),
        (standin.message_update(USER, "x" * 5000), "/quiz"),
        (standin.message_update(USER, "مرحبا 👋🏽"), "/quiz"),
    ]
    for update, expected in cases:
        mark = len(standin.calls)
        await standin.push(update)
        reply = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == USER, after=mark)
        assert expected in reply.text, (update, reply.text)
        assert "Traceback" not in reply.text


async def test_long_text_while_fill_open_is_not_graded(bot, standin: StandIn, bank):
    await ask_until(standin, bank, QuestionType.fill)
    mark = len(standin.calls)
    await standin.send_text(USER, "word " * 1000)
    reply = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == USER, after=mark)
    assert "short answer" in reply.text
    mark = len(standin.calls)
    await standin.send_text(USER, "/stats")
    stats = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == USER, after=mark)
    assert "not answered any questions" in stats.plain


async def test_group_commands_point_to_private_chat(bot, standin: StandIn):
    group = {"id": -100123, "type": "supergroup", "title": "Study group"}
    await standin.push(standin.message_update(USER, "/quiz", chat=group))
    reply = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == -100123)
    assert "private" in reply.text


async def test_a_typed_path_is_an_answer_not_an_unknown_command(bot, standin: StandIn, bank):
    """A fill-in answer such as /opt/ml/input/data/train starts with a slash, like a command."""
    mark = len(standin.calls)
    await standin.send_text(USER, "/opt/ml/input/data/train")
    reply = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == USER, after=mark)
    assert "don't know" not in reply.plain.lower() and "/quiz" in reply.plain  # the no-open-question nudge
    assert any(q.answer.startswith("/") for q in bank.questions if q.type is QuestionType.fill)


async def test_presses_too_old_to_answer_still_get_their_result(bot, standin: StandIn, bank):
    # Telegram refuses answerCallbackQuery a few seconds after the press: a press replayed from the inbox after
    # a restart, or handled behind a long queue, gets that 400. The verdict must still be shown and counted.
    standin.query_ttl = 0.0  # every press is already too old to answer
    question = await ask_until(standin, bank, QuestionType.multi)
    right = correct_positions(bank, question)
    toggles = [b for b in question.buttons() if b["callback_data"].startswith("t:")]
    for pos in right:
        mark = len(standin.calls)
        await standin.tap(USER, question, toggles[pos]["callback_data"])
        await standin.wait_for(lambda c: c.method == "editMessageReplyMarkup", after=mark)
    mark = len(standin.calls)
    submit = next(b for b in question.buttons() if b["callback_data"].startswith("s:"))
    await standin.tap(USER, question, submit["callback_data"])
    result = await standin.wait_for(lambda c: c.method == "editMessageText", after=mark)
    assert "Right!" in result.text
    mark = len(standin.calls)
    await standin.tap(USER, result, next(b["callback_data"] for b in result.buttons()
                                         if b["text"].startswith("Next")))  # Next question
    await standin.wait_for(lambda c: is_question(c), after=mark)

    mark = len(standin.calls)
    await standin.send_text(USER, "/stats")
    stats = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == USER, after=mark)
    assert "Answered: 1" in stats.plain
    assert not [c for c in standin.calls if "went wrong" in c.text]
    assert not [c for c in standin.calls if c.method == "answerCallbackQuery"]  # all refused, none needed
