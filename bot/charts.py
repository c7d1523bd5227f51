"""The /progress chart: the last 30 days as a PNG, sized and lettered to be read on a phone.

matplotlib is imported inside the function so the bot starts without it (about a second); `warm`
imports it and draws one chart in a worker thread right after start-up, so the first /progress of a
process does not pay for that on a busy machine. The figure is built with the object API (no pyplot),
which keeps no global state between calls and so is safe in a worker thread.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

from bot.domain.readiness import DayPoint

RIGHT, WRONG, ACCURACY, STREAK = "#2e9e5b", "#e4686b", "#1f5fbf", "#f08c00"


def warm() -> None:
    """Import matplotlib and draw (and drop) a chart: fonts, the Agg renderer and PNG writing are loaded."""
    from datetime import date, timedelta

    start = date(2026, 1, 1)
    progress_png([DayPoint(start + timedelta(days=i), i % 3, i % 2, i) for i in range(30)])


def progress_png(days: Sequence[DayPoint], title: str = "Your last 30 days") -> bytes:
    out = io.BytesIO()
    progress_figure(days, title).savefig(out, format="png")
    return out.getvalue()


def accuracy_series(days: Sequence[DayPoint]) -> list[float]:
    """Accuracy in % per day; NaN on a day without answers, so the line breaks there instead of
    drawing a trend across days nothing was measured (a lone day shows as its marker)."""
    return [100 * p.accuracy if p.accuracy is not None else math.nan for p in days]


def progress_figure(days: Sequence[DayPoint], title: str = "Your last 30 days"):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    x = list(range(len(days)))
    right = [p.correct for p in days]
    wrong = [p.answered - p.correct for p in days]
    acc_y = accuracy_series(days)
    streak = [p.streak for p in days]
    labels = [p.day.strftime("%d %b") for p in days]

    fig = Figure(figsize=(8, 9), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[2, 1])
    fig.suptitle(title, fontsize=20, fontweight="bold")

    top.bar(x, right, color=RIGHT, label="Right answers")
    top.bar(x, wrong, bottom=right, color=WRONG, label="Wrong answers")
    top.set_ylabel("Answers per day", fontsize=14)
    top.yaxis.set_major_locator(MaxNLocator(integer=True))
    top.set_ylim(0, max(5, max(p.answered for p in days) * 1.15) if days else 5)
    top.grid(axis="y", alpha=0.3)

    acc = top.twinx()
    acc.plot(x, acc_y, color=ACCURACY, marker="o", linewidth=2.5, markersize=7, label="Accuracy (%)")
    acc.set_ylim(0, 105)
    acc.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    acc.set_ylabel("Accuracy", fontsize=14, color=ACCURACY)
    acc.tick_params(axis="y", colors=ACCURACY, labelsize=12)
    handles = top.get_legend_handles_labels()[0] + acc.get_legend_handles_labels()[0]
    names = top.get_legend_handles_labels()[1] + acc.get_legend_handles_labels()[1]
    top.legend(handles, names, loc="upper left", fontsize=12, framealpha=0.9)
    top.set_title("Answers and accuracy per day", fontsize=15)

    bottom.fill_between(x, streak, step="mid", color=STREAK, alpha=0.3)
    bottom.step(x, streak, where="mid", color=STREAK, linewidth=2.5, label="Streak (days in a row)")
    bottom.set_ylabel("Streak (days)", fontsize=14)
    bottom.yaxis.set_major_locator(MaxNLocator(integer=True))
    bottom.set_ylim(0, max(3, max(streak, default=0) + 1))
    bottom.grid(axis="y", alpha=0.3)
    bottom.legend(loc="upper left", fontsize=12, framealpha=0.9)
    bottom.set_title("Daily-goal streak", fontsize=15)
    bottom.set_xlabel("Day", fontsize=14)

    step = max(1, len(days) // 6)
    ticks = sorted(set(list(range(len(days) - 1, -1, -step))))
    bottom.set_xticks(ticks, [labels[i] for i in ticks])
    for ax in (top, bottom):
        ax.tick_params(labelsize=12)
        ax.set_xlim(-0.6, len(days) - 0.4)
    return fig
