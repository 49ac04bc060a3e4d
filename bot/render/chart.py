"""The participation chart (members x meetings) as SVG, drawn by matplotlib's SVG backend.

matplotlib is imported on the first chart, not with the bot: an idle bot stays
small (bench/deck_bench.py measures it), and one that draws charts pays once.
The Figure API is used without pyplot (no global state); drawing is serialised
all the same, as matplotlib's font cache is shared.
"""
from __future__ import annotations

import io
import threading

from ..core.deck import AWAY, LATE, MISSED, NOT_MEMBER, SUBMITTED, ParticipationGrid

COLOURS = {NOT_MEMBER: "#ffffff", SUBMITTED: "#2e8b57", LATE: "#e08a1e", AWAY: "#8fa3b8", MISSED: "#c8453c"}
LABELS = {SUBMITTED: "submitted", LATE: "late", AWAY: "away", MISSED: "missed"}
_ORDER = (NOT_MEMBER, SUBMITTED, LATE, AWAY, MISSED)
_lock = threading.Lock()


def participation_svg(grid: ParticipationGrid, title: str) -> bytes:
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    rows, cols = len(grid.members), len(grid.meetings)
    values = [[_ORDER.index(cell) for cell in row] for row in grid.cells]
    with _lock:
        figure = Figure(figsize=(max(6.0, 2.5 + 0.22 * cols), max(2.5, 1.6 + 0.3 * rows)))
        axes = figure.add_subplot()
        axes.pcolormesh(values, cmap=ListedColormap([COLOURS[k] for k in _ORDER]), vmin=-0.5,
                        vmax=len(_ORDER) - 0.5, edgecolors="#ffffff", linewidth=0.5)
        axes.set_yticks([i + 0.5 for i in range(rows)], [m.display_name for m in grid.members], fontsize=8)
        axes.invert_yaxis()
        step = max(1, cols // 20)
        ticks = list(range(0, cols, step))
        axes.set_xticks([i + 0.5 for i in ticks], [f"{grid.meetings[i]:%d %b %y}" for i in ticks],
                        rotation=60, ha="right", fontsize=7)
        axes.set_title(title, fontsize=10)
        axes.legend(handles=[Patch(color=COLOURS[k], label=LABELS[k]) for k in LABELS],
                    loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
        out = io.BytesIO()
        figure.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
    return out.getvalue()
