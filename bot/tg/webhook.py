"""The bot's own HTTP server: Telegram's webhook (webhook mode), /healthz and /metrics.

python-telegram-bot's built-in webhook server answers 200 as soon as an update is in its in-memory queue,
so a crash right after loses it for good. Here 200 means the update is committed to the inbox (the same
one long polling uses, bot/tg/intake.py); anything else makes Telegram deliver it again.
"""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web

from bot.storage.inbox import Inbox
from bot.tg.intake import Intake
from bot.tg.metrics import CONTENT_TYPE, Metrics

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's updates are a few kilobytes; a poll or a long message with entities stays far below this.
MAX_BODY = 256 * 1024


class ListenFailed(RuntimeError):
    """The server could not listen (the port is taken, the address is not this machine's)."""


class WebServer:
    """Serves /healthz and /metrics, and with a path and a secret, Telegram's webhook."""

    def __init__(self, intake: Intake, inbox: Inbox, metrics: Metrics, *, listen: str, port: int,
                 path: str | None = None, secret: str | None = None):
        self.intake, self.inbox, self.metrics = intake, inbox, metrics
        self.listen, self.port = listen, port
        self.secret = secret.encode() if secret else None
        self.web = web.Application(client_max_size=MAX_BODY)
        self.web.router.add_get("/healthz", self.health)
        self.web.router.add_get("/metrics", self.exposition)
        if path is not None:
            if self.secret is None:
                raise ValueError("a webhook needs a secret")
            self.web.router.add_post(path, self.update)
        self._runner: web.AppRunner | None = None

    async def start(self) -> int:
        """Listen; returns the port (the one the system picked when `port` is 0)."""
        self._runner = web.AppRunner(self.web, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.listen, self.port)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            raise ListenFailed(f"cannot listen on {self.listen}:{self.port}: {exc.strerror or exc}") from None
        sockets = getattr(site._server, "sockets", None) or ()  # noqa: SLF001 (aiohttp has no public accessor)
        port = sockets[0].getsockname()[1] if sockets else self.port
        log.info("listening on %s:%d", self.listen, port)
        return port

    async def stop(self) -> None:
        """Stop accepting; requests in progress finish first (Telegram retries anything refused meanwhile)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def update(self, request: web.Request) -> web.Response:
        """Telegram posts an update: 200 once it is stored, so that nothing acknowledged is ever lost."""
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            return web.Response(status=401, text="missing secret token\n")
        if self.secret is None or not hmac.compare_digest(given.encode(), self.secret):
            return web.Response(status=403, text="wrong secret token\n")
        body = await request.read()  # over MAX_BODY: aiohttp answers 413 itself
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return web.Response(status=400, text="not JSON\n")
        update_id = data.get("update_id") if isinstance(data, dict) else None
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            return web.Response(status=400, text="not a Telegram update\n")
        try:
            await self.intake.accept(data)
        except Exception:  # the database did not take it: Telegram delivers it again
            log.exception("update %d not stored; Telegram will retry", update_id)
            return web.Response(status=503, text="not stored, retry\n")
        return web.Response(text="ok\n")

    async def health(self, request: web.Request) -> web.Response:
        """200 when the database answers, for the load balancer."""
        try:
            await self.inbox.alive()
        except Exception as exc:  # noqa: BLE001 (any failure means this replica cannot serve)
            log.warning("health check: the database does not answer (%s)", exc.__class__.__name__)
            return web.Response(status=503, text="database unavailable\n")
        return web.Response(text="ok\n")

    async def exposition(self, request: web.Request) -> web.Response:
        """Prometheus' text format."""
        body = await self.metrics.exposition()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})
