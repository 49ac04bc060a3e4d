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

CMD ["recapbot", "run"]
