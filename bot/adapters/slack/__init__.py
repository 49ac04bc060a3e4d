"""Slack adapter (slack-bolt, async): `/recap`, its modals, the App Home, Block Kit digests.

`app.SlackAdapter` builds the Bolt app and offers the runner and the Chat
port; `bot/app.py` attaches it. One module per listener concern.
"""
