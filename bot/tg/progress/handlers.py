"""/progress: readiness per domain, a verdict, and the 30-day chart."""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.ext import ContextTypes

from bot.tg.people import meet
from bot.tg.progress import render
from bot.tg.services import progress_service


async def progress_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Readiness estimate per domain, a verdict, and a chart of the last 30 days."""
    user, _ = await meet(update, context)
    svc = progress_service(context)
    progress = await svc.progress(user.id)
    await update.effective_message.reply_html(render.progress_text(progress))
    if progress.empty:
        return
    png = await svc.chart(progress)
    await context.bot.send_photo(update.effective_chat.id, InputFile(png, filename="progress.png"),
                                 caption=render.progress_caption(progress))
