"""A small stand-in for the Telegram Bot API over real HTTP on 127.0.0.1.

Tests push updates in (the bot fetches them with getUpdates) and read the Bot API
calls the bot made. It can also answer like Telegram does when things go wrong:
403 for a user who blocked the bot, 429 with retry_after, 5xx.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_ID = 777000111
BOT_USERNAME = "mlsquiz_test_bot"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    result: Any = None
    files: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)  # field -> (filename, content, type)

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def plain(self) -> str:
        """The text as a person sees it: HTML tags removed, entities unescaped."""
        return html.unescape(re.sub(r"<[^>]+>", "", self.text))

    @property
    def markup(self) -> dict | None:
        value = self.params.get("reply_markup")
        if value is None:
            return None
        return json.loads(value) if isinstance(value, str) else value

    def buttons(self) -> list[dict]:
        markup = self.markup or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]


def _decode(value: str) -> Any:
    """PTB sends each parameter form-encoded; structured values are JSON strings."""
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class StandIn:
    """The fake Bot API. `url` is what TELEGRAM_API_URL should be set to."""

    def __init__(self, token: str):
        self.token = token
        self.calls: list[Call] = []
        self.updates: list[dict] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._new_update = asyncio.Condition()
        self._new_call = asyncio.Condition()
        self.confirmed_offset = 0
        self.blocked_chats: set[int] = set()
        self.refused: list[Call] = []  # calls answered with 403 because the user blocked the bot
        self.fail_next: list[tuple[str, int, dict]] = []  # (method, status, extra) served once each
        self.failures_served: list[tuple[str, int]] = []  # (method, status) of each fail_next answer given
        # True: an editMessageText that changes nothing gets Telegram's 400 "message is not modified".
        self.refuse_unmodified = False
        self._shown: dict[tuple[int, int], str] = {}  # (chat, message) -> text + markup last shown
        self.delay = 0.0
        # Set: answerCallbackQuery is refused, like Telegram's 400 "query is too old", for a press made more
        # than this many seconds ago, for one already answered, and for an id the stand-in never issued.
        self.query_ttl: float | None = None
        self._queries: dict[str, float] = {}  # callback query id -> when it was pressed
        self.max_per_second: float | None = None  # answer 429 beyond this many sends per second, like Telegram
        self.too_many: int = 0  # 429s served
        self.keep_calls = True  # False: count sends only (benchmarks with 100k messages)
        self.on_call: Callable[[Call], None] | None = None  # benchmarks: simulated users react to each call
        self.sends = 0
        self._window: list[float] = []
        self.runner: web.AppRunner | None = None
        self.url = ""
        self.admins: dict[int, set[int]] = {}  # group chat id -> user ids that are administrators
        self.owners: dict[int, int] = {}  # group chat id -> the creator's user id

    # --- server -------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=2**22)
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        async with self._new_update:
            self._new_update.notify_all()
        if self.runner is not None:
            await self.runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        params: dict[str, Any] = {}
        files: dict[str, tuple[str, bytes, str]] = {}
        if request.content_type == "application/json":
            params = await request.json()
        else:
            form = await request.post()
            params = {k: _decode(v) for k, v in form.items() if isinstance(v, str)}
            # Uploads (sendDocument, sendPhoto) arrive as multipart file parts.
            files = {k: (v.filename, v.file.read(), v.content_type) for k, v in form.items()
                     if isinstance(v, web.FileField)}
        if method == "getUpdates":
            return web.json_response({"ok": True, "result": await self._get_updates(params)})
        if self.delay:
            await asyncio.sleep(self.delay)
        for i, (m, status, extra) in enumerate(self.fail_next):
            if m == method:
                del self.fail_next[i]
                self.failures_served.append((method, status))
                return web.json_response({"ok": False, "error_code": status, **extra}, status=status)
        if self.query_ttl is not None and method == "answerCallbackQuery":
            pressed = self._queries.pop(str(params.get("callback_query_id")), None)
            if pressed is None or time.monotonic() - pressed > self.query_ttl:
                return web.json_response({"ok": False, "error_code": 400, "description": "Bad Request: query is too "
                                          "old and response timeout expired or query ID is invalid"}, status=400)
        if self.max_per_second and method.startswith("send"):
            now = time.monotonic()
            self._window = [t for t in self._window if now - t < 1.0]
            if len(self._window) >= self.max_per_second:
                self.too_many += 1
                return web.json_response({"ok": False, "error_code": 429,
                                          "description": "Too Many Requests: retry after 1",
                                          "parameters": {"retry_after": 1}}, status=429)
            self._window.append(now)
        if self.refuse_unmodified and method == "editMessageText" and "message_id" in params:
            key, shown = (int(params.get("chat_id", 0)), int(params["message_id"])), \
                json.dumps([params.get("text"), params.get("reply_markup")], sort_keys=True, default=str)
            if self._shown.get(key) == shown:
                return web.json_response({"ok": False, "error_code": 400, "description": "Bad Request: message is not "
                                          "modified: specified new message content and reply markup are exactly the "
                                          "same as a current content and reply markup of the message"}, status=400)
            self._shown[key] = shown
        chat = params.get("chat_id")
        if chat is not None and int(chat) in self.blocked_chats and method.startswith("send"):
            self.refused.append(Call(method, params))
            return web.json_response(
                {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}, status=403
            )
        call = Call(method, params, files=files)
        call.result = self._result(call)
        if method.startswith("send"):
            self.sends += 1
        if self.on_call is not None:
            self.on_call(call)
        if not self.keep_calls:
            return web.json_response({"ok": True, "result": call.result})
        async with self._new_call:
            self.calls.append(call)
            self._new_call.notify_all()
        return web.json_response({"ok": True, "result": call.result})

    def _result(self, call: Call) -> Any:
        p = call.params
        if call.method == "getMe":
            return {"id": BOT_ID, "is_bot": True, "first_name": "MLS Quiz", "username": BOT_USERNAME,
                    "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
        if call.method in ("sendMessage", "sendPhoto", "sendDocument", "sendPoll"):
            chat_id = int(p["chat_id"])
            msg = {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "MLS Quiz"},
                "text": p.get("text", ""),
            }
            if call.method == "sendPoll":
                msg.pop("text")
                msg["poll"] = {"id": str(next(self._message_ids)), "question": p.get("question", ""),
                               "options": [{"text": o if isinstance(o, str) else o.get("text", ""), "voter_count": 0}
                                           for o in p.get("options", [])],
                               "total_voter_count": 0, "is_closed": False, "is_anonymous": False,
                               "type": p.get("type", "regular"), "allows_multiple_answers": False}
            return msg
        if call.method in ("getChatMember", "getChatAdministrators"):
            return self._members(call)
        if call.method in ("editMessageText", "editMessageReplyMarkup"):
            chat_id = int(p.get("chat_id", 0))
            return {"message_id": int(p.get("message_id", 0)), "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "private"}, "text": p.get("text", "")}
        return True

    async def _get_updates(self, params: dict[str, Any]) -> list[dict]:
        offset = int(params.get("offset", 0) or 0)
        timeout = float(params.get("timeout", 0) or 0)
        if offset:
            self.confirmed_offset = max(self.confirmed_offset, offset)
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        deadline = time.monotonic() + min(timeout, 5)
        async with self._new_update:
            while not self.updates and time.monotonic() < deadline:
                try:
                    await asyncio.wait_for(self._new_update.wait(), deadline - time.monotonic())
                except TimeoutError:
                    break
        limit = int(params.get("limit", 100) or 100)
        return [u for u in self.updates if u["update_id"] >= offset][:limit]

    # --- what tests call -----------------------------------------------------

    async def push(self, update: dict) -> dict:
        update = dict(update)
        update.setdefault("update_id", next(self._update_ids))
        async with self._new_update:
            self.updates.append(update)
            self._new_update.notify_all()
        return update

    async def redeliver(self, update: dict) -> None:
        """Deliver an update again, as Telegram does when the bot did not confirm it."""
        async with self._new_update:
            self.updates.append(dict(update))
            self._new_update.notify_all()

    def user(self, user_id: int, first_name: str = "Ada") -> dict:
        return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "en"}

    def message_update(self, user_id: int, text: str | None = None, chat: dict | None = None, **extra: Any) -> dict:
        chat = chat or {"id": user_id, "type": "private", "first_name": "Ada"}
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": self.user(user_id),
            **extra,
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                cmd = text.split()[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(cmd)}]
        return {"message": message}

    async def send_text(self, user_id: int, text: str, **extra: Any) -> dict:
        return await self.push(self.message_update(user_id, text, **extra))

    async def tap(self, user_id: int, message_call: Call, data: str) -> dict:
        """Press an inline button under a message the bot sent."""
        msg_id = message_call.params.get("message_id") or message_call.result["message_id"]
        query_id = str(next(self._message_ids))
        self._queries[query_id] = time.monotonic()
        update = {
            "callback_query": {
                "id": query_id,
                "from": self.user(user_id),
                "chat_instance": str(user_id),
                "data": data,
                "message": {
                    "message_id": int(msg_id),
                    "date": int(time.time()),
                    "chat": {"id": user_id, "type": "private"},
                    "from": {"id": BOT_ID, "is_bot": True, "first_name": "MLS Quiz"},
                    "text": message_call.text,
                },
            }
        }
        return await self.push(update)

    async def say(self, user_id: int, text: str) -> Call:
        """Send `text` as the user; returns the bot's next message to them."""
        mark = len(self.calls)
        await self.send_text(user_id, text)
        return await self.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == user_id, after=mark)

    async def press(self, user_id: int, message_call: Call, data: str, want: Callable[[Call], bool]) -> Call:
        """Press a button as the user; returns the first call after it that `want` accepts."""
        mark = len(self.calls)
        await self.tap(user_id, message_call, data)
        return await self.wait_for(want, after=mark)

    async def wait_for(self, predicate: Callable[[Call], bool], timeout: float = 10.0, after: int = 0) -> Call:
        """The first call (at index >= after) matching `predicate`, waiting for it if need be."""
        deadline = time.monotonic() + timeout
        async with self._new_call:
            while True:
                for call in self.calls[after:]:
                    if predicate(call):
                        return call
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [f"{c.method}:{c.text[:60]!r}" for c in self.calls[after:]]
                    raise AssertionError(f"no matching Bot API call within {timeout}s; calls were {seen}")
                try:
                    await asyncio.wait_for(self._new_call.wait(), remaining)
                except TimeoutError:
                    pass

    def sent_to(self, chat_id: int, after: int = 0) -> list[Call]:
        return [c for c in self.calls[after:] if c.chat_id == chat_id and c.method.startswith(("send", "edit"))]

    # --- groups ----------------------------------------------------------------------

    @staticmethod
    def _admin(user: dict) -> dict:
        rights = dict.fromkeys(("can_manage_chat", "can_delete_messages", "can_manage_video_chats",
                                "can_restrict_members", "can_invite_users", "can_post_stories",
                                "can_edit_stories", "can_delete_stories", "can_pin_messages"), True)
        return {"status": "administrator", "user": user, "can_be_edited": False, "is_anonymous": False,
                "can_promote_members": False, "can_change_info": True, **rights}

    def _member(self, chat_id: int, user_id: int) -> dict:
        user = self.user(user_id)
        if self.owners.get(chat_id) == user_id:
            return {"status": "creator", "user": user, "is_anonymous": False}
        if user_id in self.admins.get(chat_id, set()):
            return self._admin(user)
        return {"status": "member", "user": user}

    def _members(self, call: Call) -> Any:
        chat_id = int(call.params["chat_id"])
        if call.method == "getChatMember":
            return self._member(chat_id, int(call.params["user_id"]))
        ids = ([self.owners[chat_id]] if chat_id in self.owners else []) + sorted(self.admins.get(chat_id, set()))
        return [self._member(chat_id, uid) for uid in ids]

    @staticmethod
    def group_chat(chat_id: int, title: str = "ML study group") -> dict:
        return {"id": chat_id, "type": "supergroup", "title": title}

    async def group_text(self, chat: dict, user_id: int, text: str, first_name: str = "Ada") -> dict:
        """A message from a member in a group (commands may carry @botusername)."""
        update = self.message_update(user_id, text, chat=chat)
        update["message"]["from"] = self.user(user_id, first_name)
        return await self.push(update)

    async def group_tap(self, chat: dict, user_id: int, message_call: Call, data: str, first_name: str = "Ada") -> dict:
        """A member presses an inline button under a message the bot posted in a group."""
        update = {
            "callback_query": {
                "id": str(next(self._message_ids)),
                "from": self.user(user_id, first_name),
                "chat_instance": str(chat["id"]),
                "data": data,
                "message": {
                    "message_id": int(message_call.params.get("message_id") or message_call.result["message_id"]),
                    "date": int(time.time()),
                    "chat": chat,
                    "from": {"id": BOT_ID, "is_bot": True, "first_name": "MLS Quiz"},
                    "text": message_call.text,
                },
            }
        }
        return await self.push(update)

    async def membership(self, chat: dict, by_user: int, old: str, new: str) -> dict:
        """A my_chat_member update: the bot's status in `chat` changed from `old` to `new` (member, left, kicked...)."""
        bot = {"id": BOT_ID, "is_bot": True, "first_name": "MLS Quiz", "username": BOT_USERNAME}

        def member(status: str) -> dict:
            if status == "kicked":
                return {"status": "kicked", "user": bot, "until_date": 0}
            if status == "administrator":
                return self._admin(bot)
            return {"status": status, "user": bot}

        return await self.push({"my_chat_member": {
            "chat": chat, "from": self.user(by_user), "date": int(time.time()),
            "old_chat_member": member(old), "new_chat_member": member(new),
        }})
