"""recapbot: rolling research recaps for Slack, Discord and the terminal."""
