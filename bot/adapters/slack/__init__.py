"""Slack adapter (slack-bolt, async): `/recap`, its modals, the App Home, Block Kit digests.

`attach(app)` registers the runner and the Chat port; see app.py for how the
Bolt app is built, and one module per listener concern next to it.
"""
from __future__ import annotations


def attach(app):
    """Wire Slack into the bot: its runner in app.runners, its Chat in app.chats["slack"]."""
    from .app import SlackAdapter

    adapter = SlackAdapter(app)
    app.chats[adapter.chat.platform] = adapter.chat
    app.runners.append(adapter.run)
    return adapter
