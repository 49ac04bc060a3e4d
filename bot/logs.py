"""What may reach the logs: ids, counts and sizes, never what people wrote.

RECAPBOT_LOG_LEVEL=DEBUG turns on our own debug lines. The platform SDKs log
whole request and response bodies at DEBUG (recap text, Slack's response_url,
which lets anyone post as the bot for 30 minutes), so their loggers never go
below INFO; the adapters call `keep_payloads_out()` when they are built.
"""
from __future__ import annotations

import logging

PAYLOAD_LOGGERS = ("slack_sdk", "slack_bolt", "recapbot.slack.bolt", "discord")


def keep_payloads_out() -> None:
    for name in PAYLOAD_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < logging.INFO:  # NOTSET or DEBUG; an operator's WARNING stays
            logger.setLevel(logging.INFO)
