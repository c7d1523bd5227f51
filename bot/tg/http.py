"""An aiohttp networking backend for python-telegram-bot.

python-telegram-bot's default backend is httpx. Measured here against the local Bot API
stand-in, an httpx AsyncClient made ~380 requests/s and an aiohttp ClientSession ~3,800/s
on the same core, and a daily push to 100,000 subscribers is mostly HTTP requests. PTB
supports custom backends through `BaseRequest`; this is one, kept as small as it can be.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

log = logging.getLogger(__name__)

RETRIES = 3  # after the first attempt: 0.5 + 1 + 2 s of back-off at most
BACKOFF = 0.5  # seconds before the first retry, doubled for each next one


class AiohttpRequest(BaseRequest):
    """`BaseRequest` over one aiohttp ClientSession with a bounded connection pool."""

    def __init__(self, connection_pool_size: int = 16, read_timeout: float | None = 5.0,
                 write_timeout: float | None = 5.0, connect_timeout: float | None = 5.0,
                 pool_timeout: float | None = 1.0, retries: int = RETRIES, backoff: float = BACKOFF,
                 on_error: Callable[[int], None] | None = None):
        self._pool_size = connection_pool_size
        self._on_error = on_error  # told each error status Telegram answers (metrics)
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._retries, self._backoff = retries, backoff
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        read = self._read if isinstance(read_timeout, DefaultValue) else read_timeout
        write = self._write if isinstance(write_timeout, DefaultValue) else write_timeout
        connect = self._connect if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = self._pool if isinstance(pool_timeout, DefaultValue) else pool_timeout
        # aiohttp has no separate write timeout; a request's sending counts against sock_read's neighbour, total.
        timeout = aiohttp.ClientTimeout(
            total=None if read is None or write is None else read + write + (connect or 0) + (pool or 0),
            connect=pool if pool is not None else None,
            sock_connect=connect,
            sock_read=read,
        )
        for attempt in range(self._retries + 1):
            last = attempt == self._retries
            try:
                # Built anew each attempt: aiohttp's FormData can be sent only once.
                async with self._session.request(method, url, data=_body(request_data), timeout=timeout,
                                                 headers=_headers(request_data)) as response:
                    status, payload = response.status, await response.read()
                if status >= 400 and self._on_error is not None:
                    self._on_error(status)
            except TimeoutError as exc:
                raise TimedOut from exc
            except aiohttp.ClientConnectorError as exc:  # no connection at all: nothing reached Telegram
                if last:
                    raise NetworkError(f"aiohttp.{exc.__class__.__name__}: {exc}") from exc
                log.debug("no connection to Telegram (%s); retry %d of %d", exc.__class__.__name__, attempt + 1,
                         self._retries)
            except aiohttp.ClientError as exc:
                raise NetworkError(f"aiohttp.{exc.__class__.__name__}: {exc}") from exc
            else:
                if status < 500 or last:
                    return status, payload
                log.debug("Telegram answered %d; retry %d of %d", status, attempt + 1, self._retries)
            await asyncio.sleep(self._backoff * 2**attempt)
        raise AssertionError("unreachable")


_JSON = {"Content-Type": "application/json"}


def _headers(request_data: RequestData | None) -> dict[str, str] | None:
    return _JSON if request_data is not None and not request_data.contains_files else None


def _body(request_data: RequestData | None) -> aiohttp.FormData | bytes | None:
    if request_data is None:
        return None
    if not request_data.contains_files:
        # One JSON document (the Bot API takes application/json) rather than a urlencoded form: encoding
        # the form quoted every character of every text and was ~5% of the bot's CPU under load.
        # ASCII escapes: a lone surrogate in a user's text (JSON allows it) still encodes.
        return json.dumps(request_data.parameters).encode()
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, part in (request_data.multipart_data or {}).items():
        filename, content, mimetype = part if len(part) == 3 else (*part, None)
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
