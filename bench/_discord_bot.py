"""A bot process for bench/discord_load.py, pointed at the fake Discord API on loopback.

`recapbot`: the real `recapbot run` (composition root, supervisor, scheduler, HTTP
server, the Discord adapter) configured from the environment as in production;
only discord.py's REST base and gateway address are pointed at the fake, as the
tests do (recapbot has no setting for them: Discord has one API).
`bare`: the floor, a bare discord.py client whose `/recap <sub>` commands only
answer "ok", with nothing behind them.

Usage: python bench/_discord_bot.py recapbot|bare  (BENCH_DISCORD_API, BENCH_DISCORD_GATEWAY set)
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SUBCOMMANDS = ("status", "help", "groups", "question", "submit")


def bare() -> int:
    client = discord.Client(intents=discord.Intents.default())
    tree = app_commands.CommandTree(client)
    group = app_commands.Group(name="recap", description="floor")

    def answer(name: str):
        async def callback(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("ok", ephemeral=True)
        return app_commands.Command(name=name, description=name, callback=callback)

    for name in SUBCOMMANDS:
        group.add_command(answer(name))
    tree.add_command(group)
    client.run(os.environ["DISCORD_TOKEN"], log_handler=None)
    return 0


def main() -> int:
    discord.http.Route.BASE = os.environ["BENCH_DISCORD_API"]
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["BENCH_DISCORD_GATEWAY"])
    if sys.argv[1] == "bare":
        return bare()
    from bot.__main__ import main as recapbot

    return recapbot(["run"])


if __name__ == "__main__":
    sys.exit(main())
