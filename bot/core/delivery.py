"""Delivering a post in parts, exactly once per part, and the errors that end a delivery.

A digest is several messages (a header, then replies in its thread); a late
update may be more than one; a reminder is one. The scheduler hands the
adapter a PostParts: the refs of the parts the platform already accepted (read
from the database) and a recorder that commits each new ref in its own
transaction before the next part is sent. A retry, or another process taking
over after a crash, therefore continues at the first part without a ref, under
the same thread root. The one window left: a process killed after the platform
accepted a part and before its ref was committed sends that one part again
(Discord drops the repeat by the part's nonce within a few minutes; Slack has
no such key).
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

M = TypeVar("M")

# What an admin can do about a permanent error (texts.POST_FIXES has the words).
FIX_INVITE = "invite"          # add the bot to the channel
FIX_CHANNEL = "channel"        # the channel is gone, archived or not the team's: choose another
FIX_PERMISSION = "permission"  # the bot may see the channel but not post (or thread) there
FIX_REINSTALL = "reinstall"    # the bot's token or installation no longer works
FIX_DM = "dm"                  # the person does not accept direct messages from the bot


class PermanentPostError(Exception):
    """The platform refused a post for a reason that trying again will not fix.

    `reason` is the platform's own code (for the log and the ledger), `fix` one
    of the FIX_* kinds above, `where` the channel as the platform writes it in a
    message (for example "<#C123>").
    """

    def __init__(self, reason: str, fix: str, where: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.fix = fix
        self.where = where


class PostTakenOver(Exception):
    """Our claim on the post is gone (it went stale and another process took it over): stop sending."""


# (part index, ref) -> False when the claim is no longer ours or the part is already recorded
Recorder = Callable[[int, str], Awaitable[bool]]


class PostParts:
    """The parts of one post already out, and the recorder of the next ones."""

    def __init__(self, key: str, refs: Sequence[str], record: Recorder):
        self.key = key  # stable per post: the platform's de-duplication key, and the ledger's
        self._refs = list(refs)
        self._record = record

    @property
    def refs(self) -> list[str]:
        return list(self._refs)

    @property
    def root(self) -> str | None:
        """The first part's ref: the thread root of a digest."""
        return self._refs[0] if self._refs else None

    async def send(self, messages: Sequence[M], post: Callable[[int, M], Awaitable[str]]) -> list[str]:
        """Post each message past the parts already out, recording each ref before the next is sent.

        `post(index, message)` sends one message and returns its ref; it may use
        `self.root` (recorded by then) for every part after the first.
        """
        for index in range(len(self._refs), len(messages)):
            ref = await post(index, messages[index])
            if not await self._record(index, ref):
                raise PostTakenOver(f"{self.key}: part {index} was posted, but the post is no longer ours")
            self._refs.append(ref)
        return self.refs
