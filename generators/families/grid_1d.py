"""grid_1d: a transform of a 1-D row of coloured cells, one digit per cell ('03305000', 0 = empty).

ood: a move (cyclic shift by any amount) and optional mirror, i.e. one of the 2n symmetries
     of the row, composed with a random recolouring (a permutation of the 9 colours):
     2n * 9! rules, 10^6.8 to 10^6.9.
id:  one familiar transform with the colours kept: move right or left by one or two cells
     (cells pushed past the edge are lost), mirror, push every cell to the left end.
Both variants transform the same rows: 2-3 objects (runs of one colour) with an empty margin.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass
from functools import lru_cache

from .._config import require, require_int_range, require_min_max, with_difficulty
from ..core import Family, RetryTuple as _Retry

Row = tuple[int, ...]
_COLOURS = 9


# Familiar 1-D ARC moves.  Left out: sort and push-right (the lexicographic minimum of almost
# any tuple they are in), grow (shares the query's prefix): each would single out one rule
# to a demo-blind heuristic, chance only on average and noisy over 200 episodes.
_ID_RULES = {
    "move_right": lambda x: (0,) + x[:-1],
    "move_left": lambda x: x[1:] + (0,),
    "move_right_2": lambda x: (0, 0) + x[:-2],
    "move_left_2": lambda x: x[2:] + (0, 0),
    "mirror": lambda x: x[::-1],
    "push_left": lambda x: tuple([v for v in x if v] + [0] * x.count(0)),
}
_ID_NAMES = tuple(_ID_RULES)


@dataclass(frozen=True)
class Grid1dConfig:
    difficulty: int = 2
    cells: int = 7  # row length
    min_objects: int = 2  # runs of one colour, distinct colours, at least one empty cell apart
    max_objects: int = 2
    max_len: int = 2  # cells per object

    def __post_init__(self) -> None:
        require_int_range("cells", self.cells, 5, 20)
        # At most 5 colours per row: after one agreed demo, 4 unseen colours still tell the
        # candidates apart.
        require_int_range("min_objects", self.min_objects, 1, 5)
        require_int_range("max_objects", self.max_objects, 1, 5)
        require_min_max(self, "min_objects", "max_objects")
        require_int_range("max_len", self.max_len, 1, 5)
        need = self.max_objects * (self.max_len + 1) + 1  # objects, gaps and both margins
        require(self.cells >= need, "cells", self.cells,
                f"must be >= {need} to hold max_objects={self.max_objects} of max_len={self.max_len}")
        rows = _row_count(self)
        require(rows >= 69, "cells", self.cells, f"{rows} possible rows; a pool of 64 plus 5 queries needs 69")


def _row_count(cfg: Grid1dConfig) -> int:
    total = 0
    for k in range(cfg.min_objects, cfg.max_objects + 1):
        for lengths in itertools.product(range(1, cfg.max_len + 1), repeat=k):
            spare = cfg.cells - sum(lengths) - (k + 1)
            if spare >= 0:
                total += math.comb(spare + k, k) * math.perm(_COLOURS, k)
    return total


_LEVELS = {
    1: dict(cells=6, min_objects=1, max_objects=2, max_len=1),
    2: dict(cells=7, min_objects=2, max_objects=2, max_len=2),
    3: dict(cells=13, min_objects=2, max_objects=3, max_len=3),
}


def _move(x: Row, g: tuple[int, int]) -> Row:
    shift, mirrored = g
    v = x[::-1] if mirrored else x
    return v[-shift:] + v[:-shift] if shift else v


def _render(x: Row) -> str:
    # No separators: SmolLM2-style tokenizers give each digit its own token anyway.
    return "".join(map(str, x))


def _extend(m: dict, inv: dict, src: Row, dst: Row):
    """Extend the partial recolouring m (inverse inv) so that src maps to dst, or None."""
    m, inv = dict(m), dict(inv)
    for a, b in zip(src, dst):
        if (a == 0) != (b == 0):
            return None
        if a == 0:
            continue
        if a in m:
            if m[a] != b:
                return None
        elif b in inv:
            return None
        else:
            m[a], inv[b] = b, a
    return m, inv


class Grid1d(Family):
    name = "grid_1d"
    n_choices = 3
    # One agreed demo pins the move and a few colours; the candidates then differ on the rest.
    max_agree = {"ood": 1, "id": 0}

    def config(self, difficulty: int = 2, **overrides) -> Grid1dConfig:
        return with_difficulty(Grid1dConfig, _LEVELS, difficulty, overrides)

    # ood rule: ((shift, mirrored), colour image of 1..9); id rule: a name.
    def sample_rule(self, rng: random.Random, variant: str, cfg: Grid1dConfig):
        if variant == "id":
            return rng.choice(_ID_NAMES)
        colours = list(range(1, _COLOURS + 1))
        rng.shuffle(colours)
        return ((rng.randrange(cfg.cells), rng.randrange(2)), tuple(colours))

    def sample_distractor(self, rng, variant, cfg, anchor, agree):
        if variant == "id":
            rule = self.sample_rule(rng, variant, cfg)
            if rule == anchor:  # the tuple would fail every query anyway: fail it early
                raise _Retry
            return rule
        if not agree:
            return self.sample_rule(rng, variant, cfg)
        # Exact conditional: every consistent move fixes the same number of colours, so
        # moves are equally likely; the unfixed colours are shuffled.
        g, m = rng.choice(_survivors(cfg.cells, tuple(agree)))[:2]
        free_src = [c for c in range(1, _COLOURS + 1) if c not in m]
        free_dst = [c for c in range(1, _COLOURS + 1) if c not in m.values()]
        rng.shuffle(free_dst)
        image = {**m, **dict(zip(free_src, free_dst))}
        return (g, tuple(image[c] for c in range(1, _COLOURS + 1)))

    def sample_input(self, rng, variant, cfg, gold=None) -> Row:
        k = rng.randint(cfg.min_objects, cfg.max_objects)
        lengths = [rng.randint(1, cfg.max_len) for _ in range(k)]
        colours = rng.sample(range(1, _COLOURS + 1), k)
        spare = cfg.cells - sum(lengths) - (k + 1)  # cells beyond the 1-cell margins and separations
        bars = sorted(rng.sample(range(spare + k), k))  # stars and bars: spare cells into k + 1 gaps
        gaps = [b - a for a, b in zip([-1] + bars, bars + [spare + k])]
        row: list[int] = [0] * gaps[0]
        for n, c, gap in zip(lengths, colours, gaps[1:]):
            row += [c] * n + [0] * gap
        return tuple(row)

    def render_input(self, x: Row) -> str:
        return _render(x)

    def apply(self, rule, x: Row, cfg) -> str:
        if isinstance(rule, str):
            return _render(_ID_RULES[rule](x))
        g, image = rule
        return _render(tuple(image[v - 1] if v else 0 for v in _move(x, g)))

    def rule_key(self, rule) -> str:
        if isinstance(rule, str):
            return rule
        (shift, mirrored), image = rule
        return f"{'m' if mirrored else ''}r{shift}|{''.join(map(str, image))}"

    def predictive(self, variant, cfg, demos, query, choices) -> list[float]:
        rows = [tuple(map(int, c)) for c in choices]
        if variant == "id":
            live = [n for n in _ID_NAMES if all(self.apply(n, x, cfg) == y for x, y in demos)]
            weights = [sum(_ID_RULES[n](query) == r for n in live) for r in rows]
        else:
            # Uniform prior: a consistent move weighs the recolourings extending what it fixed.
            live = _survivors(cfg.cells, tuple(demos))
            weights = [0] * len(rows)
            for g, m, inv in live:
                moved = _move(query, g)
                for i, r in enumerate(rows):
                    ext = _extend(m, inv, moved, r)
                    if ext is not None:
                        weights[i] += math.factorial(_COLOURS - len(ext[0]))
        total = sum(weights)
        return [w / total for w in weights] if total else [1 / len(choices)] * len(choices)

    def log10_rule_space(self, variant, cfg) -> float:
        if variant == "id":
            return math.log10(len(_ID_NAMES))
        return math.log10(2 * cfg.cells * math.factorial(_COLOURS))


@lru_cache(maxsize=256)
def _survivors(cells: int, demos: tuple) -> list:
    """(move, recolouring fixed so far, its inverse) for each move consistent with the demos."""
    if not demos:
        return [((s, f), {}, {}) for f in (0, 1) for s in range(cells)]
    x, y = demos[-1]
    target = tuple(map(int, y))
    live = []
    for g, m, inv in _survivors(cells, demos[:-1]):
        ext = _extend(m, inv, _move(x, g), target)
        if ext is not None:
            live.append((g, *ext))
    return live
