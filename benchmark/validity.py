"""``ood-icl validity``: can every task be solved from its demonstrations, and only from them?

For every family x variant x k: chance, the ideal learner's accuracy with a 95% bootstrap
interval over episodes, every demo-blind heuristic's accuracy, the rule space (log10) and
rule collisions among the episodes.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from .dataset import BuildSpec, episodes
from .generators import FAMILIES, HEURISTICS, VARIANTS, get_family
from .ideal import episode_ideal
from .io import write_atomic
from .suite import K0, SHOTS

VALIDITY_SHOTS = (K0, *SHOTS)


@dataclass(frozen=True)
class Cell:
    family: str
    variant: str
    k: int
    chance: float
    ideal: float
    ideal_lo: float
    ideal_hi: float
    heuristics: dict
    log10_rules: float
    collisions: int
    episodes: int
    queries: int


def bootstrap_ci(per_episode: list[float], *, reps: int = 1000, seed: int = 0) -> tuple[float, float]:
    """95% percentile interval of the mean, resampling whole episodes."""
    rng = random.Random(seed)
    n = len(per_episode)
    means = sorted(sum(rng.choices(per_episode, k=n)) / n for _ in range(reps))
    return means[int(0.025 * reps)], means[int(0.975 * reps) - 1]


def evaluate(spec: BuildSpec, shots=VALIDITY_SHOTS) -> list[Cell]:
    fam = get_family(spec.family)
    cfg = fam.config(spec.difficulty, **spec.overrides)
    eps = list(episodes(spec))
    queries = [q for ep in eps for q in ep.queries]
    chance = 1 / fam.n_choices
    blind = {name: sum(h(q.input, q.choices) == q.label for q in queries) / len(queries)
             for name, h in HEURISTICS.items()}
    collisions = sum(c - 1 for c in Counter(ep.rule_key for ep in eps).values())
    cells = []
    for k in shots:
        per_episode = [episode_ideal(fam, spec.variant, cfg, ep, k) for ep in eps]
        lo, hi = bootstrap_ci(per_episode)
        cells.append(Cell(spec.family, spec.variant, k, chance, sum(per_episode) / len(per_episode), lo, hi,
                          blind, fam.log10_rule_space(spec.variant, cfg), collisions, len(eps), len(queries)))
    return cells


def check(cells: list[Cell], *, k0_tol: float = 0.03, k16_min: float = 0.95, blind_tol: float = 0.05) -> list[str]:
    """The validity rules; returns the violations."""
    bad = []
    for c in cells:
        name = f"{c.family}_{c.variant} k={c.k}"
        if c.k == 0 and abs(c.ideal - c.chance) > k0_tol:
            bad.append(f"{name}: ideal {c.ideal:.3f} is not within {k0_tol} of chance {c.chance:.3f}")
        if c.k == 16 and c.ideal < k16_min:
            bad.append(f"{name}: ideal {c.ideal:.3f} < {k16_min}")
        for h, acc in c.heuristics.items():
            if c.k == 0 and abs(acc - c.chance) > blind_tol:
                bad.append(f"{name}: heuristic {h} scores {acc:.3f} vs chance {c.chance:.3f}")
    return bad


def markdown(cells: list[Cell]) -> str:
    names = list(HEURISTICS)
    head = ("| task | k | chance | ideal [95% CI] | log10 rules | collisions | worst heuristic |\n"
            "|---|---|---|---|---|---|---|")
    lines = [head]
    for c in cells:
        worst = max(names, key=lambda n: abs(c.heuristics[n] - c.chance))
        lines.append(f"| {c.family}_{c.variant} | {c.k} | {c.chance:.3f} | {c.ideal:.3f} "
                     f"[{c.ideal_lo:.3f}, {c.ideal_hi:.3f}] | {c.log10_rules:.1f} | {c.collisions} "
                     f"| {worst} {c.heuristics[worst]:.3f} |")
    return "\n".join(lines)


def run_validity(specs: list[BuildSpec], out: Path | None) -> tuple[str, list[str]]:
    cells = [c for spec in specs for c in evaluate(spec)]
    text = markdown(cells)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        write_atomic(out / "validity.md", text + "\n")
        write_atomic(out / "validity.json", json.dumps([asdict(c) for c in cells], indent=1) + "\n")
    return text, check(cells)


def all_specs(seed: int, difficulty: int, episodes_: int, queries: int, families=None) -> list[BuildSpec]:
    return [BuildSpec(f, v, seed=seed, difficulty=difficulty, episodes=episodes_, queries=queries)
            for f in (families or sorted(FAMILIES)) for v in VARIANTS]
