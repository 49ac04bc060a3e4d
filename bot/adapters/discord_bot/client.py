"""The discord.py client: default intents only, dependencies passed in, commands synced at start.

One process holds one gateway connection (`RecapBot`), or the shards DISCORD_SHARD_IDS of
DISCORD_SHARD_COUNT gives it (`ShardedRecapBot`, discord.py's AutoShardedClient), or none at
all (RECAPBOT_DISCORD=off: it only logs in over HTTP, to post). `make_client` picks.
"""
from __future__ import annotations

import asyncio

import discord
from discord import app_commands

from ...config import Settings
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


class _Recap:
    """Slash commands, modals and buttons only: no message content, no members, no presences.

    `gateway` False: the client never connects to the gateway; it logs in over HTTP only,
    to post digests and reminders (RECAPBOT_DISCORD=off)."""

    def __init__(self, core: Core, guild_ids: tuple[int, ...] = (), gateway: bool = True, **options):
        keep_payloads_out()
        options.setdefault("intents", discord.Intents.default())
        super().__init__(**options)
        self.gateway = gateway
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
        if self.syncs_commands:
            await self.sync_commands()

    @property
    def syncs_commands(self) -> bool:
        """One process tells Discord the commands: the one on the gateway that holds shard 0
        (every replica syncing the same list would only spend Discord's rate limits)."""
        ids = getattr(self, "shard_ids", None)
        return self.gateway and (ids is None or 0 in ids)

    def on_this_gateway(self, guild_id: int) -> bool:
        """Whether this process's gateway connection carries the server's events (its shard)."""
        if not self.gateway:
            return False
        count, ids = self.shard_count, getattr(self, "shard_ids", None)
        return not count or ids is None or (guild_id >> 22) % count in ids

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


class RecapBot(_Recap, discord.Client):
    """One gateway connection for every server (no sharding), or none (`gateway=False`)."""


class ShardedRecapBot(_Recap, discord.AutoShardedClient):
    """The shards `shard_ids` of `shard_count` (all of them when `shard_ids` is None)."""


def make_client(core: Core, settings: Settings) -> RecapBot | ShardedRecapBot:
    """The client the settings ask for: sharded when DISCORD_SHARD_COUNT is set, without a
    gateway connection when RECAPBOT_DISCORD=off."""
    if settings.discord_gateway and settings.discord_shard_count:
        return ShardedRecapBot(core, guild_ids=settings.discord_guild_ids, shard_count=settings.discord_shard_count,
                               shard_ids=list(settings.discord_shard_ids) or None)
    return RecapBot(core, guild_ids=settings.discord_guild_ids, gateway=settings.discord_gateway)
