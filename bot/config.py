"""All configuration, from the environment only (see .env.example). Nothing else reads os.environ."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """The bot's settings. The token is optional here so tools such as the content check run without it."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore", populate_by_name=True)

    telegram_bot_token: SecretStr | None = Field(default=None, validation_alias="TELEGRAM_BOT_TOKEN")
    telegram_api_url: str = Field(default="https://api.telegram.org", validation_alias="TELEGRAM_API_URL")
    db: Path = Field(default=Path("data/mlsquiz.sqlite3"), validation_alias="MLSQUIZ_DB")
    # postgresql://user:password@host:5432/name switches to PostgreSQL; unset (or sqlite:///path) is SQLite.
    database_url: SecretStr | None = Field(default=None, validation_alias="MLSQUIZ_DATABASE_URL")
    content: Path = Field(default=REPO_ROOT / "content", validation_alias="MLSQUIZ_CONTENT")
    default_tz: str = Field(default="UTC", validation_alias="MLSQUIZ_DEFAULT_TZ")
    log_level: str = Field(default="INFO", validation_alias="MLSQUIZ_LOG_LEVEL")
    # NoDecode: the variable is "111,222" (or blank), not the JSON pydantic-settings expects for a set.
    admin_ids: Annotated[frozenset[int], NoDecode] = Field(default=frozenset(), validation_alias="MLSQUIZ_ADMIN_IDS")
    # Telegram's free tier allows about 30 messages/s overall; paid broadcasts raise that to 1,000/s.
    sends_per_second: float = Field(default=28.0, gt=0, validation_alias="MLSQUIZ_SENDS_PER_SECOND")
    # Webhook mode (set: Telegram posts updates to this HTTPS URL; unset: long polling). The server listens on
    # the URL's path and also serves /healthz and /metrics.
    webhook_url: str | None = Field(default=None, validation_alias="MLSQUIZ_WEBHOOK_URL")
    webhook_secret: SecretStr | None = Field(default=None, validation_alias="MLSQUIZ_WEBHOOK_SECRET")
    webhook_listen: str = Field(default="0.0.0.0", validation_alias="MLSQUIZ_WEBHOOK_LISTEN")
    webhook_port: int = Field(default=8080, ge=0, le=65535, validation_alias="MLSQUIZ_WEBHOOK_PORT")
    # Polling mode: /healthz and /metrics on this port when set.
    metrics_port: int | None = Field(default=None, ge=0, le=65535, validation_alias="MLSQUIZ_METRICS_PORT")
    # Replicas: seconds without a heartbeat after which a replica is taken for gone and its work taken over.
    replica_lease: float = Field(default=10.0, ge=2.0, le=600.0, validation_alias="MLSQUIZ_REPLICA_LEASE")

    @field_validator("telegram_bot_token")
    @classmethod
    def _blank_is_missing(cls, v: SecretStr | None) -> SecretStr | None:
        if v is None or not v.get_secret_value().strip():
            return None
        return SecretStr(v.get_secret_value().strip())

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, v: SecretStr | None) -> SecretStr | None:
        if v is None or not v.get_secret_value().strip():
            return None
        scheme = urlsplit(v.get_secret_value().strip()).scheme
        if scheme not in ("postgresql", "postgres", "sqlite") or (scheme == "sqlite" and not
                                                                  v.get_secret_value().strip().startswith("sqlite:///")):
            raise ValueError("must start with postgresql:// (or sqlite:/// for a file)")
        return SecretStr(v.get_secret_value().strip())

    @property
    def postgres_url(self) -> str | None:
        """The PostgreSQL URL when the database is PostgreSQL (it may hold a password: never log it)."""
        url = self.database_url.get_secret_value() if self.database_url else None
        return url if url and not url.startswith("sqlite:") else None

    @property
    def sqlite_path(self) -> Path:
        url = self.database_url.get_secret_value() if self.database_url else None
        # As SQLAlchemy writes them: sqlite:///relative/path, sqlite:////absolute/path.
        return Path(url.removeprefix("sqlite:///")) if url and url.startswith("sqlite:///") else self.db

    @field_validator("webhook_url", "metrics_port", mode="before")
    @classmethod
    def _blank_is_unset(cls, v: object) -> object:
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("webhook_url")
    @classmethod
    def _https_url(cls, v: str | None) -> str | None:
        if v is None:
            return None
        v = v.strip()
        parts = urlsplit(v)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError("must be the public https:// URL Telegram posts updates to")
        if parts.path.rstrip("/") in ("/healthz", "/metrics"):
            raise ValueError("its path must not be /healthz or /metrics (the server answers those itself)")
        return v

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_secret(cls, v: SecretStr | None) -> SecretStr | None:
        if v is None or not v.get_secret_value().strip():
            return None
        # Telegram's rule for secret_token: 1-256 characters, A-Z a-z 0-9 _ -.
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", v.get_secret_value().strip()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return SecretStr(v.get_secret_value().strip())

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url is not None and self.webhook_secret is None:
            raise ValueError("MLSQUIZ_WEBHOOK_SECRET is required with MLSQUIZ_WEBHOOK_URL: without it anyone who "
                             "finds the URL could post updates")
        return self

    @property
    def webhook_path(self) -> str:
        return (urlsplit(self.webhook_url).path or "/") if self.webhook_url else "/"

    @field_validator("telegram_api_url")
    @classmethod
    def _strip_slash(cls, v: str) -> str:
        v = v.strip().rstrip("/")
        if not v.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return v

    @field_validator("default_tz")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{v!r} is not an IANA time zone name (for example Europe/Berlin)") from None
        return v

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, v: str) -> str:
        v = v.strip().upper()
        if not isinstance(logging.getLevelName(v), int):
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return v

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _comma_list(cls, v: object) -> object:
        if isinstance(v, str):
            parts = [part.strip() for part in v.replace(";", ",").split(",")]
            bad = [part for part in parts if part and not part.lstrip("-").isdigit()]
            if bad:
                raise ValueError(f"{bad[0]!r} is not a Telegram user id: use numbers separated by commas (111,222)")
            return frozenset(int(part) for part in parts if part)
        if isinstance(v, int):
            return frozenset({v})
        return v


def content_root_from_env() -> Path:
    return Settings().content
