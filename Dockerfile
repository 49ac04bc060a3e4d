FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 recapbot \
    && useradd --system --uid 10001 --gid recapbot --home-dir /app --no-create-home recapbot \
    && mkdir -p /data \
    && chown recapbot:recapbot /data

WORKDIR /app

COPY pyproject.toml alembic.ini ./
COPY bot ./bot
COPY migrations ./migrations

# tzdata: slim images may lack /usr/share/zoneinfo, which zoneinfo needs.
RUN pip install --no-cache-dir . tzdata

VOLUME /data
ENV DATABASE_URL=sqlite:////data/recapbot.db \
    RECAPBOT_MIGRATIONS=/app/migrations

USER recapbot

# GET /healthz (bot/http_server.py): 200 while the scheduler and an adapter are up, else 503.
# Python's urllib, as the slim image has no curl; it asks the port the bot listens on.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('RECAPBOT_HTTP_PORT') or '3000'; sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=4).status == 200 else 1)"]

CMD ["recapbot", "run"]
