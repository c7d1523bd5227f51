"""Entry point (`python -m bot`, `mlsquiz`): configuration, content, database, Telegram. Wiring only."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import ValidationError
from pydantic_settings import SettingsError

from bot import logs
from bot.config import Settings
from bot.content import ContentError, load_bank
from bot.storage.backup import BackupError, backup
from bot.storage.db import DatabaseUnavailable, MigrationError


def _settings() -> Settings:
    """The settings, or one line saying what is wrong with them and exit status 2 (never a traceback)."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{str(err['loc'][0]).upper() if err['loc'] else 'configuration'}: "
            f"{err['msg'].removeprefix('Value error, ')}"
            for err in exc.errors()
        )
        print(f"mlsquiz: configuration error: {problems}", file=sys.stderr)
    except SettingsError as exc:  # a value pydantic-settings could not even parse
        print(f"mlsquiz: configuration error: {exc}", file=sys.stderr)
    sys.exit(2)


def _loop_factory():
    """uvloop's event loop where it is installed (not on Windows): the bot spends ~16% less CPU per answer."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="mlsquiz", description="A Telegram bot that drills you for AWS machine-learning certifications")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="start the bot (the default)")
    backup_cmd = sub.add_parser("backup", help="copy the live database consistently to a new file")
    backup_cmd.add_argument("path", type=Path, help="where to write the copy (must not exist yet)")
    args = parser.parse_args(argv)

    settings = _settings()
    if args.command == "backup":
        if settings.postgres_url is not None:
            print("mlsquiz: the database is PostgreSQL: back it up with pg_dump (see the README)", file=sys.stderr)
            return 2
        try:
            size = backup(settings.sqlite_path, args.path)
        except (BackupError, sqlite3.Error) as exc:
            print(f"mlsquiz: backup failed: {exc}", file=sys.stderr)
            return 1
        print(f"mlsquiz: backed up {settings.sqlite_path} to {args.path} ({size:,} bytes, integrity ok)")
        return 0
    if settings.telegram_bot_token is None:
        print("mlsquiz: TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather and export it.", file=sys.stderr)
        return 2
    secrets = [settings.telegram_bot_token.get_secret_value()]
    if settings.postgres_url is not None and (password := urlsplit(settings.postgres_url).password):
        secrets.append(password)
    logs.setup(settings.log_level, secrets)

    if args.command in (None, "run"):
        try:
            bank = load_bank(settings.content)
        except ContentError as exc:
            print(f"mlsquiz: {exc}", file=sys.stderr)
            return 1
        from bot.tg.app import TokenRejected, run
        from bot.tg.webhook import ListenFailed

        try:
            with asyncio.Runner(loop_factory=_loop_factory()) as runner:
                runner.run(run(settings, bank))
        except (MigrationError, DatabaseUnavailable, ListenFailed) as exc:
            print(f"mlsquiz: {exc}", file=sys.stderr)
            return 1
        except TokenRejected:
            print("mlsquiz: Telegram rejected the token: check it with @BotFather", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
