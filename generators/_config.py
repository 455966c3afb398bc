"""Validation helpers for the families' config dataclasses: raise, never assert."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any


def require(ok: bool, field: str, value: Any, why: str) -> None:
    """Raise ``ValueError("field=value: why")`` unless ``ok``."""
    if not ok:
        raise ValueError(f"{field}={value!r}: {why}")


def require_int_range(field: str, value: Any, lo: int, hi: int) -> None:
    require(isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi,
            field, value, f"must be an integer in [{lo}, {hi}]")


def require_min_max(cfg: Any, lo_field: str, hi_field: str) -> None:
    lo, hi = getattr(cfg, lo_field), getattr(cfg, hi_field)
    require(lo <= hi, lo_field, lo, f"must be <= {hi_field}={hi}")


def with_difficulty(cls: type, levels: dict[int, dict[str, Any]], difficulty: int,
                    overrides: dict[str, Any]) -> Any:
    """Instantiate ``cls`` from a difficulty level's knobs plus explicit overrides."""
    require_int_range("difficulty", difficulty, 1, 3)
    known = {f.name for f in fields(cls)}
    for key in overrides:
        require(key in known, key, overrides[key], f"unknown config field; known: {sorted(known)}")
    return replace(cls(difficulty=difficulty, **levels[difficulty]), **overrides)
