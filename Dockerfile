# docker build -t mlsquiz . && docker run -e TELEGRAM_BOT_TOKEN=... -v mlsquiz-data:/data mlsquiz
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    MLSQUIZ_DB=/data/mlsquiz.sqlite3

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY content ./content
COPY migrations ./migrations
# Editable install: the package finds content/ and migrations/ beside it in /app. PostgreSQL needs nothing
# more: psycopg's binary wheel (a dependency in pyproject.toml) brings libpq along.
RUN pip install -e . \
    && useradd --create-home --uid 10001 mlsquiz \
    && mkdir -p /data && chown mlsquiz:mlsquiz /data

USER mlsquiz
VOLUME ["/data"]
# Webhook mode's server (the webhook, /healthz, /metrics); compose.yaml runs two replicas behind Caddy.
EXPOSE 8080
# SIGTERM (docker stop) lets in-flight updates finish and closes the database cleanly.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot"]
