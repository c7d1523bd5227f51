"""Webhook mode end to end: Telegram's posts over real HTTP into the bot's own server, the Bot API stand-in for
what the bot sends back; /healthz and /metrics; settings."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import aiohttp
import pytest
from pydantic import ValidationError

from bot.config import Settings
from tests.conftest import RunningBot, db_connect, settings_for
from tests.standin import StandIn

USER = 4242
SECRET = "s3cret_-Token"
HOOK = "https://bot.example.org/tg/hook"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def hooked(standin: StandIn, bank, tmp_path: Path):
    """The bot in webhook mode on a free local port; yields (base URL, database path)."""
    port = _free_port()
    db = tmp_path / "hook.sqlite3"
    bot = RunningBot(settings_for(standin, db, MLSQUIZ_WEBHOOK_URL=HOOK, MLSQUIZ_WEBHOOK_SECRET=SECRET,
                                  MLSQUIZ_WEBHOOK_LISTEN="127.0.0.1", MLSQUIZ_WEBHOOK_PORT=port), bank)
    await bot.start(standin)
    await standin.wait_for(lambda c: c.method == "setWebhook")
    async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
        yield http, db
    await bot.stop()


async def _post(http: aiohttp.ClientSession, body, secret: str | None = SECRET, path: str = "/tg/hook",
                method: str = "POST") -> int:
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with http.request(method, path, data=data, headers={**headers, "Content-Type": "application/json"}) as r:
        await r.read()
        return r.status


async def test_the_webhook_is_set_with_its_secret_and_every_update_type(standin: StandIn, hooked):
    call = next(c for c in standin.calls if c.method == "setWebhook")
    assert call.params["url"] == HOOK and call.params["secret_token"] == SECRET
    assert "callback_query" in call.params["allowed_updates"] and "message" in call.params["allowed_updates"]
    assert not any(c.method in ("getUpdates", "deleteWebhook") for c in standin.calls)  # no polling in this mode


async def test_an_update_is_stored_before_200_and_handled_once_when_posted_twice(standin: StandIn, hooked):
    http, db = hooked
    update = {"update_id": 9001, **standin.message_update(USER, "/start")}
    assert await _post(http, update) == 200
    with db_connect(db) as conn:  # acknowledged means durable: in the inbox, or already handled
        stored = conn.execute("SELECT (SELECT COUNT(*) FROM inbox WHERE update_id = 9001) + "
                              "(SELECT COUNT(*) FROM processed_updates WHERE update_id = 9001)").fetchone()[0]
    assert stored == 1
    welcome = await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == USER)
    assert "/quiz" in welcome.plain
    for _ in range(2):  # Telegram retries what it thinks was not delivered; the bot answers 200 and nothing more
        assert await _post(http, update) == 200
    mark = len(standin.calls)
    quiz = {"update_id": 9002, **standin.message_update(USER, "/quiz")}
    assert await _post(http, quiz) == 200
    await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == USER, after=mark)
    await asyncio.sleep(0.2)
    replies = [c for c in standin.calls if c.method == "sendMessage" and c.chat_id == USER]
    assert len(replies) == 2, [c.plain[:60] for c in replies]


async def test_posts_without_the_secret_or_not_updates_are_refused_and_never_stored(standin: StandIn, hooked):
    http, db = hooked
    update = {"update_id": 9100, **standin.message_update(USER, "/start")}
    assert await _post(http, update, secret=None) == 401
    assert await _post(http, update, secret="wrong") == 403
    assert await _post(http, update, secret=SECRET + "x") == 403
    assert await _post(http, b"{not json") == 400
    assert await _post(http, b"\xff\xfe") == 400
    assert await _post(http, [1, 2]) == 400
    assert await _post(http, {"message": {}}) == 400  # no update_id
    assert await _post(http, {"update_id": True}) == 400
    assert await _post(http, b"x" * 300_000) == 413
    assert await _post(http, update, method="GET") == 405
    assert await _post(http, update, method="PUT") == 405
    assert await _post(http, update, path="/other") == 404
    await asyncio.sleep(0.2)
    with db_connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM inbox").fetchone() == (0,)
        assert conn.execute("SELECT COUNT(*) FROM processed_updates").fetchone() == (0,)
    assert not any(c.method == "sendMessage" for c in standin.calls)
    # An update the bot cannot make sense of is acknowledged (Telegram would otherwise retry it for a day).
    assert await _post(http, {"update_id": 9101, "message": "garbage"}) == 200


async def test_health_and_metrics(standin: StandIn, hooked):
    http, _ = hooked
    async with http.get("/healthz") as r:
        assert r.status == 200 and (await r.text()).strip() == "ok"
    assert await _post(http, {"update_id": 9200, **standin.message_update(USER, "/start")}) == 200
    await standin.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == USER)
    await asyncio.sleep(0.2)
    async with http.get("/metrics") as r:
        assert r.status == 200 and r.headers["Content-Type"].startswith("text/plain")
        text = await r.text()
    values = {line.split(" ")[0]: float(line.split(" ")[1]) for line in text.splitlines()
              if line and not line.startswith("#")}
    assert values["mlsquiz_updates_handled_total"] == 1.0
    assert values["mlsquiz_update_latency_seconds_count"] == 1.0
    assert values["mlsquiz_inbox_depth"] == 0.0 and values["mlsquiz_inbox_oldest_age_seconds"] == 0.0


async def test_metrics_count_bot_api_errors_in_polling_mode(standin: StandIn, bank, tmp_path: Path):
    port = _free_port()
    bot = RunningBot(settings_for(standin, tmp_path / "m.sqlite3", MLSQUIZ_METRICS_PORT=port,
                                  MLSQUIZ_WEBHOOK_LISTEN="127.0.0.1"), bank)
    await bot.start(standin)
    try:
        standin.blocked_chats.add(USER)
        await standin.send_text(USER, "/start")
        for _ in range(50):
            if standin.refused:
                break
            await asyncio.sleep(0.05)
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/metrics") as r:
            text = await r.text()
        assert 'mlsquiz_bot_api_errors_total{code="403"} 1.0' in text
        async with aiohttp.ClientSession() as http, http.post(f"http://127.0.0.1:{port}/tg/hook", data=b"{}") as r:
            assert r.status in (404, 405)  # no webhook in polling mode
    finally:
        await bot.stop()


@pytest.mark.parametrize(("env", "problem"), [
    ({"MLSQUIZ_WEBHOOK_URL": HOOK}, "MLSQUIZ_WEBHOOK_SECRET is required"),
    ({"MLSQUIZ_WEBHOOK_URL": "http://bot.example.org/hook", "MLSQUIZ_WEBHOOK_SECRET": SECRET}, "https://"),
    ({"MLSQUIZ_WEBHOOK_URL": "https://bot.example.org/metrics", "MLSQUIZ_WEBHOOK_SECRET": SECRET}, "/metrics"),
    ({"MLSQUIZ_WEBHOOK_URL": HOOK, "MLSQUIZ_WEBHOOK_SECRET": "has spaces"}, "A-Z, a-z"),
])
def test_webhook_settings_are_checked(env, problem):
    with pytest.raises(ValidationError) as error:
        Settings(TELEGRAM_BOT_TOKEN="1:x", **env)
    messages = " ".join(e["msg"] for e in error.value.errors())  # what `mlsquiz` prints (bot/__main__.py)
    assert problem in messages and "has spaces" not in messages  # a secret is never echoed back


def test_blank_webhook_settings_mean_long_polling():
    settings = Settings(TELEGRAM_BOT_TOKEN="1:x", MLSQUIZ_WEBHOOK_URL="", MLSQUIZ_WEBHOOK_SECRET="",
                        MLSQUIZ_METRICS_PORT="")
    assert settings.webhook_url is None and settings.metrics_port is None
    hooked = Settings(TELEGRAM_BOT_TOKEN="1:x", MLSQUIZ_WEBHOOK_URL="https://h.example/a/b", MLSQUIZ_WEBHOOK_SECRET="k")
    assert hooked.webhook_path == "/a/b"
