"""Explainable, versioned risk: a pure policy over a child's signals.

The score supports the judgment of the people who know the child; it decides nothing.
Every assessment lists every signal (counted or not, and why not), each with its weight,
its age and its decayed contribution, and names the policy version it was made under,
so a new policy can be replayed over past signals and compared before it goes live.

Rules (the numbers live in a policy file, read and checked by ``domain.risk_policy``;
``risk_policy.toml`` is the shipped default):

- A signal counts unless it is retracted, disputed, observed after the assessment time,
  or older than ``max_age_days`` ("nothing counts forever").
- ``contribution = weights[kind] * severity_multipliers[severity] * 0.5 ** (age / half_life)``;
  the score is the sum of the counted contributions.
- The band comes from the thresholds; a counted red-flag signal no older than
  ``red_flag_days`` puts the child into ``review_now`` whatever the score.
- "The pieces join": counted signals that carry weight, from at least
  ``pieces_join_min_agencies`` distinct agencies, all observed within the last
  ``pieces_join_window_days`` (inclusive), raise an alert and lift the band to at least
  ``pieces_join_min_band``.

Nothing here touches a database or a web framework; age edges are compared as exact
``timedelta`` values, never as rounded floats.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from domain.errors import InvalidInput
from domain.risk_policy import BANDS

if TYPE_CHECKING:
    from domain.history import SignalState
    from domain.risk_policy import RiskPolicy

NOTICE = (
    "This risk score supports the judgment of the people who know the child; "
    "it decides nothing and no action is taken on it automatically."
)

NOTE_RETRACTED = "retracted"
NOTE_DISPUTED = "disputed"
NOTE_EXPIRED = "expired"
NOTE_FUTURE = "observed after the assessment time"

_DAY_SECONDS = 86_400.0
_NO_TIME = timedelta(0)


@dataclass(frozen=True)
class RiskSignal:
    """The risk-relevant part of one signal (see ``domain.history.SignalState``)."""

    signal_id: str
    kind: str
    severity: str
    observed_at: datetime
    agency_id: str
    agency_kind: str
    retracted: bool = False
    disputed: bool = False

    @classmethod
    def from_state(cls, state: SignalState, *, disputed: bool = False) -> RiskSignal:
        """Build from a ``domain.history.SignalState`` (ids become strings)."""
        return cls(
            signal_id=str(state.id),
            kind=state.kind,
            severity=state.severity,
            observed_at=state.observed_at,
            agency_id=str(state.agency_id),
            agency_kind=state.agency_kind,
            retracted=bool(state.retracted),
            disputed=disputed,
        )


@dataclass(frozen=True)
class Contribution:
    """One line of the explanation: what a signal added to the score, or why nothing."""

    signal_id: str
    kind: str
    agency_kind: str
    severity: str
    weight: float
    age_days: float
    decay: float
    contribution: float
    counted: bool
    note: str

    def as_dict(self) -> dict:
        """JSON-ready form (rounded floats)."""
        return {
            "signal_id": self.signal_id,
            "kind": self.kind,
            "agency_kind": self.agency_kind,
            "severity": self.severity,
            "weight": round(self.weight, 3),
            "age_days": round(self.age_days, 2),
            "decay": round(self.decay, 4),
            "contribution": round(self.contribution, 3),
            "counted": self.counted,
            "note": self.note,
        }


@dataclass(frozen=True)
class PiecesJoin:
    """The alert that signals from several agencies arrived within the window."""

    agency_ids: tuple[str, ...]
    agency_kinds: tuple[str, ...]
    signal_ids: tuple[str, ...]
    window_days: int
    first_observed: datetime
    last_observed: datetime

    def as_dict(self) -> dict:
        """JSON-ready form."""
        return {
            "agency_ids": list(self.agency_ids),
            "agency_kinds": list(self.agency_kinds),
            "signal_ids": list(self.signal_ids),
            "window_days": self.window_days,
            "first_observed": self.first_observed.isoformat(),
            "last_observed": self.last_observed.isoformat(),
        }


@dataclass(frozen=True)
class Assessment:
    """A child's score, band and the full explanation, under one policy version."""

    score: float
    band: str
    red_flags: tuple[str, ...]
    pieces_join: PiecesJoin | None
    contributions: tuple[Contribution, ...]
    policy_version: str
    assessed_at: datetime
    notice: str = NOTICE

    def as_dict(self) -> dict:
        """JSON-ready form: ISO datetimes, rounded floats."""
        return {
            "score": round(self.score, 2),
            "band": self.band,
            "red_flags": list(self.red_flags),
            "pieces_join": self.pieces_join.as_dict() if self.pieces_join else None,
            "contributions": [c.as_dict() for c in self.contributions],
            "policy_version": self.policy_version,
            "assessed_at": self.assessed_at.isoformat(),
            "notice": self.notice,
        }


def band_at_least(band: str, floor: str) -> str:
    """The higher of two bands."""
    return band if BANDS.index(band) >= BANDS.index(floor) else floor


def assess(signals: Iterable[RiskSignal], now: datetime, policy: RiskPolicy, *, explain: bool = True) -> Assessment:
    """Score a child's signals as of ``now`` under ``policy``, explaining every signal.

    With ``explain=False`` the explanation (``contributions``) is left empty; the score,
    band, red flags and pieces join are the same, computed by the same steps. For a caller
    that needs only the band (the risk projection judges it at every event).
    """
    if now.tzinfo is None:
        raise InvalidInput.one("now", "must include a time zone")
    ordered = sorted(signals, key=lambda s: (_aware(s.observed_at), s.signal_id), reverse=True)

    max_age = timedelta(days=policy.max_age_days)
    red_flag_age = timedelta(days=policy.red_flag_days)
    window = timedelta(days=policy.pieces_join_window_days)

    contributions: list[Contribution] = []
    parts: list[float] = []  # each signal's contribution, in order (the score is their sum)
    red_flags: list[str] = []
    joining: list[RiskSignal] = []  # newest first
    for s in ordered:
        age = now - s.observed_at
        age_days = age.total_seconds() / _DAY_SECONDS
        weight = policy.weights.get(s.kind, 0.0) * policy.severity_multipliers.get(s.severity, 0.0)
        note = _exclusion(s, age, max_age, policy)
        if note:
            parts.append(0.0)
            if explain:
                contributions.append(
                    Contribution(
                        s.signal_id, s.kind, s.agency_kind, s.severity, weight, age_days, 0.0, 0.0, False, note
                    )
                )
            continue
        decay = 0.5 ** (age_days / policy.half_life_days)
        parts.append(weight * decay)
        if explain:
            contributions.append(
                Contribution(
                    s.signal_id, s.kind, s.agency_kind, s.severity, weight, age_days, decay, parts[-1], True, ""
                )
            )
        if s.kind in policy.red_flags and age <= red_flag_age:
            red_flags.append(s.signal_id)
        if weight > 0 and age <= window:
            joining.append(s)

    score = math.fsum(parts)
    band = policy.band_for_score(score)
    if red_flags:
        band = "review_now"
    pieces = _pieces_join(joining, policy)
    if pieces is not None:
        band = band_at_least(band, policy.pieces_join_min_band)
    return Assessment(
        score=score,
        band=band,
        red_flags=tuple(red_flags),
        pieces_join=pieces,
        contributions=tuple(contributions),
        policy_version=policy.version,
        assessed_at=now,
    )


def judge(signals: Iterable[RiskSignal], now: datetime, policy: RiskPolicy) -> tuple[str, float]:
    """The band and score ``assess`` gives, by the same arithmetic, with nothing else built.

    The risk projection judges a child's band at every event over all of the child's
    signals; ``assess`` also orders the signals and builds the alerts, which the band
    does not need: the score is an exact sum (``math.fsum``), so the order of its parts
    does not change it, and the pieces join only needs the number of agencies.
    """
    if now.tzinfo is None:
        raise InvalidInput.one("now", "must include a time zone")
    max_age = timedelta(days=policy.max_age_days)
    red_flag_age = timedelta(days=policy.red_flag_days)
    window = timedelta(days=policy.pieces_join_window_days)
    weights, multipliers, flags = policy.weights, policy.severity_multipliers, policy.red_flags
    half_life = policy.half_life_days
    parts: list[float] = []
    red_flag = False
    agencies: set[str] = set()
    for s in signals:
        age = now - _aware(s.observed_at)
        if (
            s.retracted
            or s.disputed
            or age < _NO_TIME
            or age > max_age
            or s.kind not in weights
            or s.severity not in multipliers
        ):
            continue  # not counted (``_exclusion``): its part would be 0.0
        weight = weights[s.kind] * multipliers[s.severity]
        parts.append(weight * 0.5 ** (age.total_seconds() / _DAY_SECONDS / half_life))
        if not red_flag and s.kind in flags and age <= red_flag_age:
            red_flag = True
        if weight > 0 and age <= window:
            agencies.add(s.agency_id)
    score = math.fsum(parts)
    if red_flag:
        band = "review_now"
    else:
        band = policy.band_for_score(score)
    if len(agencies) >= policy.pieces_join_min_agencies:
        band = band_at_least(band, policy.pieces_join_min_band)
    return band, score


def counted(signals: Iterable[RiskSignal], now: datetime, policy: RiskPolicy) -> list[str]:
    """The ids of the signals ``assess`` counts, in its order (newest first), without the explanation.

    An agenda names the signals behind a high band; building a full explanation of a child
    with a long history only to keep these ids cost most of the agenda's time.
    """
    if now.tzinfo is None:
        raise InvalidInput.one("now", "must include a time zone")
    max_age = timedelta(days=policy.max_age_days)
    ordered = sorted(signals, key=lambda s: (_aware(s.observed_at), s.signal_id), reverse=True)
    return [s.signal_id for s in ordered if not _exclusion(s, now - s.observed_at, max_age, policy)]


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise InvalidInput.one("observed_at", "must include a time zone")
    return moment


def _exclusion(s: RiskSignal, age: timedelta, max_age: timedelta, policy: RiskPolicy) -> str:
    """Why the signal does not count, or ``""`` when it does."""
    if s.retracted:
        return NOTE_RETRACTED
    if s.disputed:
        return NOTE_DISPUTED
    if age < _NO_TIME:
        return NOTE_FUTURE
    if age > max_age:
        return NOTE_EXPIRED
    if s.kind not in policy.weights:
        return f"kind not in risk policy {policy.version}"
    if s.severity not in policy.severity_multipliers:
        return f"severity not in risk policy {policy.version}"
    return ""


def _pieces_join(joining: list[RiskSignal], policy: RiskPolicy) -> PiecesJoin | None:
    """The alert over the weighted, counted signals observed within the window."""
    agencies: dict[str, str] = {}  # agency id -> kind, in order of each agency's first signal
    for s in reversed(joining):  # oldest first
        agencies.setdefault(s.agency_id, s.agency_kind)
    if len(agencies) < policy.pieces_join_min_agencies:
        return None
    oldest_first = list(reversed(joining))
    return PiecesJoin(
        agency_ids=tuple(agencies),
        agency_kinds=tuple(agencies.values()),
        signal_ids=tuple(s.signal_id for s in oldest_first),
        window_days=policy.pieces_join_window_days,
        first_observed=oldest_first[0].observed_at,
        last_observed=oldest_first[-1].observed_at,
    )
