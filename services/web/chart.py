"""The risk chart, drawn on the server as inline SVG: no script, no library, prints well.

Input is what ``ChildViews.risk`` returns (the contributions and the current score) and
the policy's band thresholds and decay. The line is the score by date of observation and
ends at today's score; the thresholds are dashed lines over shaded bands; each
contributing signal is a tick on the time axis. The recorded band changes are listed
under the chart. Only geometry is computed here; the template draws it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 14, 34
#: Band fills from calm to urgent; readable in greyscale print too (rising darkness).
FILLS = {"low": "#eef6ee", "medium": "#fdf3d8", "high": "#fbe0cc", "review_now": "#f6cfcf"}


@dataclass
class Chart:
    """Everything the template needs to draw the chart."""

    width: int = WIDTH
    height: int = HEIGHT
    bands: list[dict] = field(default_factory=list)
    thresholds: list[dict] = field(default_factory=list)
    path: str = ""
    points: list[dict] = field(default_factory=list)
    ticks: list[dict] = field(default_factory=list)
    signals: list[dict] = field(default_factory=list)
    start: datetime | None = None
    end: datetime | None = None
    y_labels: list[dict] = field(default_factory=list)


def score_curve(
    risk: dict, half_life_days: float, max_age_days: int, start: datetime, now: datetime, steps: int = 120
) -> list[tuple[datetime, float]]:
    """The score day by day as the signals were observed, under today's rules.

    The band history is stamped with when the store learned of each change (a school's
    export of last week's absences changes the band today), so the line is drawn from the
    contributions instead: each signal adds its weight from its observation, halving every
    ``half_life_days`` and dropping out after ``max_age_days``. It ends at today's score.
    """
    signals = [
        (now - timedelta(days=float(c["age_days"])), float(c["weight"]))
        for c in risk["contributions"]
        if c["counted"] or float(c["age_days"]) > max_age_days
    ]
    moments = sorted(
        {start + (now - start) * i / steps for i in range(steps + 1)} | {m for m, _ in signals if m >= start}
    )
    curve = []
    for moment in moments:
        total = 0.0
        for observed, weight in signals:
            age = (moment - observed).total_seconds() / 86400
            if 0 <= age <= max_age_days:
                total += weight * 0.5 ** (age / half_life_days)
        curve.append((moment, total))
    if curve:
        curve[-1] = (now, float(risk["score"]))
    return curve


def risk_chart(
    risk: dict, thresholds: dict[str, float], now: datetime, *, half_life_days: float, max_age_days: int, days: int = 60
) -> Chart:
    """Lay out the score over the last ``days`` days (longer if a counted signal is older)."""
    start = now - timedelta(days=days)
    oldest = max([float(c["age_days"]) for c in risk["contributions"] if c["counted"]] or [0.0])
    if now - timedelta(days=oldest + 3) < start:
        start = now - timedelta(days=oldest + 3)
    curve = score_curve(risk, half_life_days, max_age_days, start, now)
    top_score = max([risk["score"], *(s for _, s in curve), *thresholds.values()]) * 1.15 or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    span = (now - start).total_seconds() or 1.0

    def x(moment: datetime) -> float:
        return round(LEFT + plot_w * max(0.0, (moment - start).total_seconds()) / span, 1)

    def y(score: float) -> float:
        return round(TOP + plot_h * (1 - min(score, top_score) / top_score), 1)

    chart = Chart(start=start, end=now)
    edges = [("low", 0.0), *sorted(thresholds.items(), key=lambda kv: kv[1])]
    for i, (band, low) in enumerate(edges):
        high = edges[i + 1][1] if i + 1 < len(edges) else top_score
        chart.bands.append(
            {
                "band": band,
                "x": LEFT,
                "y": y(high),
                "w": plot_w,
                "h": round(y(low) - y(high), 1),
                "fill": FILLS.get(band, "#eeeeee"),
            }
        )
        if low > 0:
            chart.thresholds.append({"band": band, "value": low, "y": y(low), "x1": LEFT, "x2": LEFT + plot_w})
    chart.path = " ".join(("M" if i == 0 else "L") + f"{x(m)},{y(v)}" for i, (m, v) in enumerate(curve))
    chart.points.append(
        {"x": x(now), "y": y(risk["score"]), "score": risk["score"], "band": risk["band"], "at": now, "current": True}
    )
    for c in risk["contributions"]:
        observed = now - timedelta(days=float(c["age_days"]))
        if observed >= start:
            chart.signals.append(
                {
                    "x": x(observed),
                    "y1": TOP + plot_h,
                    "y2": TOP + plot_h - 10,
                    "id": c["signal_id"],
                    "counted": c["counted"],
                    "at": observed,
                    "kind": c["kind"],
                }
            )
    for n in range(0, 5):
        moment = start + (now - start) * n / 4
        chart.ticks.append(
            {
                "x": x(moment),
                "y": HEIGHT - BOTTOM + 16,
                "at": moment,
                "anchor": "start" if n == 0 else ("end" if n == 4 else "middle"),
            }
        )
    for value in sorted({0.0, *thresholds.values()}):
        chart.y_labels.append({"x": LEFT - 6, "y": y(value) + 4, "value": value})
    return chart
