"""The discord.py client: default intents only, dependencies passed in, commands synced at start."""
from __future__ import annotations

import asyncio

import discord
from discord import app_commands

from ...core.commands import CommandHandler
from ...core.guard import unexpected
from ...core.service import Core
from ...logs import keep_payloads_out
from .buttons import OpenFormButton
from .commands import RecapGroup
from .memory import AnsweredSelect, FeedbackButton
from .replies import log, tell_failure


class RecapTree(app_commands.CommandTree):
    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """Any failure inside a command: a traceback in the log, a short apology to the person."""
        command = interaction.command.qualified_name if interaction.command else "?"
        unexpected(f"discord /{command} (guild {interaction.guild_id}, user {getattr(interaction.user, 'id', '?')})",
                   error)
        await tell_failure(interaction)


class RecapBot(discord.Client):
    """Slash commands, modals and buttons only: no message content, no members, no presences."""

    def __init__(self, core: Core, guild_ids: tuple[int, ...] = (), **options):
        keep_payloads_out()
        options.setdefault("intents", discord.Intents.default())
        super().__init__(**options)
        self.core = core
        self.handler = CommandHandler(core)
        self.guild_ids = tuple(guild_ids)
        self.tree = RecapTree(self)
        self.tree.add_command(RecapGroup(core, self.handler))
        self.connected = asyncio.Event()  # set once the gateway said READY: /healthz shows "up"

    async def on_ready(self) -> None:
        self.connected.set()
        log.info("discord: connected as %s to %d guild(s)", self.user, len(self.guilds))

    async def setup_hook(self) -> None:
        # Reminder buttons and a posted digest's controls keep working across restarts.
        self.add_dynamic_items(OpenFormButton, FeedbackButton, AnsweredSelect)
        await self.sync_commands()

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """Removed from a server, or the server deleted: there is no per-server token to delete
        (one token serves every server), and JoinedGuildsChat sends nothing there any more."""
        log.warning("removed from Discord server %s: no digests or reminders there until recapbot is added "
                    "back; its recaps stay", guild.id)

    async def sync_commands(self) -> None:
        """Listed guilds update at once (labs, development); otherwise global (up to an hour)."""
        if not self.guild_ids:
            synced = await self.tree.sync()
            log.info("synced %d global command(s)", len(synced))
            return
        for guild_id in self.guild_ids:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d command(s) to guild %s", len(synced), guild_id)
