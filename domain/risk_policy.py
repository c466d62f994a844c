"""The risk policy: one versioned set of risk rules, read from TOML and checked before use.

``domain.risk`` scores signals under a policy; this module says what a policy is and
refuses a bad one, naming the offending setting, so an operator's file fails at start-up
and never half-way through an assessment. ``risk_policy.toml`` beside this module is the
shipped default; a policy can be replayed over past signals before it goes live, so every
setting is data, not a literal in the scoring code.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from domain.errors import InvalidInput
from domain.policy_files import read_policy
from domain.signals import CATALOGUE, SEVERITIES

BANDS = ("low", "medium", "high", "review_now")
#: The bands that start at a threshold, in ascending order.
THRESHOLD_BANDS = BANDS[1:]

DEFAULT_POLICY_FILE = "risk_policy.toml"


@dataclass(frozen=True)
class RiskPolicy:
    """One versioned set of risk rules; build it with ``from_dict`` or ``load_policy``."""

    version: str
    half_life_days: float
    max_age_days: int
    weights: dict[str, float]
    severity_multipliers: dict[str, float]
    red_flags: frozenset[str]
    red_flag_days: int
    thresholds: dict[str, float]
    pieces_join_window_days: int = 30
    pieces_join_min_agencies: int = 2
    pieces_join_min_band: str = "medium"

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> RiskPolicy:
        """Validate a policy document; refuse with ``InvalidInput`` naming the bad key."""
        if not isinstance(data, Mapping):
            raise InvalidInput.one("policy", "must be a table of settings")
        known = set(cls.__dataclass_fields__)
        for key in data:
            if key not in known:
                raise InvalidInput.one(str(key), "is not a risk policy setting")
        version = _require(data, "version")
        if not isinstance(version, str) or not version.strip():
            raise InvalidInput.one("version", "must be a non-empty string")

        half_life = _number(data, "half_life_days", positive=True)
        max_age = _whole(data, "max_age_days", minimum=1)

        weights = _number_table(data, "weights", CATALOGUE, require_all=True)
        multipliers = _number_table(data, "severity_multipliers", SEVERITIES, require_all=True)

        raw_flags = _require(data, "red_flags")
        if isinstance(raw_flags, str | bytes) or not isinstance(raw_flags, Iterable):
            raise InvalidInput.one("red_flags", "must be a list of signal kinds")
        flags = []
        for code in raw_flags:
            if code not in weights:
                raise InvalidInput.one("red_flags", f"unknown signal kind '{code}'")
            flags.append(code)
        red_flag_days = _whole(data, "red_flag_days", minimum=1)
        if red_flag_days > max_age:
            raise InvalidInput.one("red_flag_days", f"must not exceed max_age_days ({max_age})")

        thresholds = _number_table(data, "thresholds", THRESHOLD_BANDS, require_all=True)
        lower_name, lower = "zero", 0.0
        for band in THRESHOLD_BANDS:
            if thresholds[band] <= lower:
                raise InvalidInput.one(f"thresholds.{band}", f"must be greater than {lower_name} ({lower:g})")
            lower_name, lower = f"thresholds.{band}", thresholds[band]

        window = _whole(data, "pieces_join_window_days", minimum=1, default=30)
        if window > max_age:
            raise InvalidInput.one("pieces_join_window_days", f"must not exceed max_age_days ({max_age})")
        min_agencies = _whole(data, "pieces_join_min_agencies", minimum=2, default=2)
        min_band = data.get("pieces_join_min_band", "medium")
        if min_band not in BANDS:
            raise InvalidInput.one("pieces_join_min_band", f"must be one of: {', '.join(BANDS)}")

        return cls(
            version=version.strip(),
            half_life_days=half_life,
            max_age_days=max_age,
            weights=weights,
            severity_multipliers=multipliers,
            red_flags=frozenset(flags),
            red_flag_days=red_flag_days,
            thresholds=thresholds,
            pieces_join_window_days=window,
            pieces_join_min_agencies=min_agencies,
            pieces_join_min_band=str(min_band),
        )

    def as_dict(self) -> dict:
        """The policy as a document ``from_dict`` accepts (JSON- and TOML-ready)."""
        return {
            "version": self.version,
            "half_life_days": self.half_life_days,
            "max_age_days": self.max_age_days,
            "weights": dict(self.weights),
            "severity_multipliers": dict(self.severity_multipliers),
            "red_flags": sorted(self.red_flags),
            "red_flag_days": self.red_flag_days,
            "thresholds": dict(self.thresholds),
            "pieces_join_window_days": self.pieces_join_window_days,
            "pieces_join_min_agencies": self.pieces_join_min_agencies,
            "pieces_join_min_band": self.pieces_join_min_band,
        }

    def band_for_score(self, score: float) -> str:
        """The band the score alone reaches (thresholds are inclusive lower edges)."""
        band = BANDS[0]
        for name in THRESHOLD_BANDS:
            if score >= self.thresholds[name]:
                band = name
        return band


def load_policy(path: str | Path | None = None) -> RiskPolicy:
    """Read and validate a TOML policy file; ``None`` reads the shipped default."""
    return RiskPolicy.from_dict(read_policy(path, DEFAULT_POLICY_FILE))


_MISSING = object()


def _require(data: Mapping[str, object], key: str) -> object:
    if key not in data:
        raise InvalidInput.one(key, "is required")
    return data[key]


def _as_number(key: str, value: object, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput.one(key, "must be a finite number")
    if positive and value <= 0:
        raise InvalidInput.one(key, "must be greater than zero")
    if value < 0:
        raise InvalidInput.one(key, "must not be negative")
    return float(value)


def _number(data: Mapping[str, object], key: str, *, positive: bool = False) -> float:
    return _as_number(key, _require(data, key), positive=positive)


def _whole(data: Mapping[str, object], key: str, *, minimum: int, default: object = _MISSING) -> int:
    value = data.get(key, default)
    if value is _MISSING:
        raise InvalidInput.one(key, "is required")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput.one(key, "must be a whole number")
    if value < minimum:
        raise InvalidInput.one(key, f"must be at least {minimum}")
    return value


def _number_table(data: Mapping[str, object], key: str, names: Iterable[str], *, require_all: bool) -> dict[str, float]:
    table = _require(data, key)
    if not isinstance(table, Mapping):
        raise InvalidInput.one(key, "must be a table of numbers")
    names = tuple(names)
    result: dict[str, float] = {}
    for name, value in table.items():
        if name not in names:
            raise InvalidInput.one(f"{key}.{name}", f"unknown name; known: {', '.join(names)}")
        result[name] = _as_number(f"{key}.{name}", value)
    if require_all:
        for name in names:
            if name not in result:
                raise InvalidInput.one(f"{key}.{name}", "is required")
    return {name: result[name] for name in names if name in result}
