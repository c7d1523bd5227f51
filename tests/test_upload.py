"""The bot's own HTTP backend uploads files as multipart, and the stand-in receives them intact."""

from __future__ import annotations

import io

from telegram import Bot, InputFile

from bot.tg.http import AiohttpRequest
from tests.conftest import TOKEN


async def test_send_document_reaches_the_api_intact(standin):
    payload = ("{\"answers\": [1, 2, 3]}" + "é" * 1000).encode()
    bot = Bot(TOKEN, base_url=f"{standin.url}/bot", request=AiohttpRequest())
    async with bot:
        await bot.send_document(42, InputFile(io.BytesIO(payload), filename="mlsquiz-export.json"), caption="your data")
    call = next(c for c in standin.calls if c.method == "sendDocument")
    filename, content, _ = call.files["document"]
    assert (filename, content) == ("mlsquiz-export.json", payload)
    assert call.params["caption"] == "your data" and call.chat_id == 42
