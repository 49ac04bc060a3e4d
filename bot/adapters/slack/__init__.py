"""Slack adapter (slack-bolt, async): `/recap`, its modals, the App Home, Block Kit digests.

`attach(app)` registers the runner and the Chat port; see app.py for how the
Bolt app is built, and one module per listener concern next to it.
"""
from __future__ import annotations


def attach(app):
    """Wire Slack into the bot: its routes on the app's HTTP server, its runner in app.runners
    (restarted with backoff if it cannot connect), its Chat in app.chats["slack"]."""
    from ...http_server import attach as attach_http
    from ...supervisor import Runner
    from .app import SlackAdapter

    attach_http(app)  # HTTP mode and the OAuth pages need it
    adapter = SlackAdapter(app)
    app.chats["slack"] = adapter.chat
    app.runners.append(Runner("slack", adapter.run, ready=adapter.started.wait))
    return adapter
