"""grid_1d's novelty checker: the familiar rearrangements as row functions (not position maps).

Independent of the generator's exclusion (grid_1d._familiar_perms builds position maps by index
arithmetic); the checker finds a rule's position map with one-cell probes and compares it with these.
"""

from __future__ import annotations

import itertools

from ..core import item_rng


# The checker's familiar list, written as row functions (not position maps): rotations (right by s),
# mirror images, textbook rearrangements, and moves that are not rearrangements.
def checker_functions(n: int) -> dict:
    h, r = divmod(n, 2)
    dihedral = {f"rotate_{s}": (lambda x, s=s: x[n - s:] + x[:n - s]) for s in range(n)}
    dihedral.update({f"mirror_rotate_{s}": (lambda x, s=s: x[::-1][n - s:] + x[::-1][:n - s]) for s in range(n)})
    textbook = {
        "identity": lambda x: x,
        "swap_pairs": lambda x: tuple(v for a, b in zip(x[0::2], x[1::2]) for v in (b, a)) + x[n - r:n] * r,
        "reverse_halves": lambda x: x[:h][::-1] + x[h:][::-1],
        "swap_halves": lambda x: x[h + r:] + x[h:h + r] + x[:h],
        "riffle": lambda x: tuple(v for pair in itertools.zip_longest(x[:h + r], x[h + r:], fillvalue=-1)
                                  for v in pair if v != -1),
        "unriffle": lambda x: x[0::2] + x[1::2],
    }
    out = {}
    for dn, d in dihedral.items():
        for tn, t in textbook.items():
            out[f"{dn} after {tn}"] = lambda x, d=d, t=t: d(t(x))
            out[f"{tn} after {dn}"] = lambda x, d=d, t=t: t(d(x))
    return out


MOVES = {
    "move_right": lambda x: (0,) + x[:-1], "move_left": lambda x: x[1:] + (0,),
    "push_left": lambda x: tuple(v for v in x if v) + (0,) * x.count(0),
    "push_right": lambda x: (0,) * x.count(0) + tuple(v for v in x if v),
    "sort": lambda x: tuple(sorted(x)),
}


def _renames(m: dict | None, src, dst) -> dict | None:
    """Extend the colour correspondence m so that src maps to dst (0 to 0), or None."""
    if m is None or len(src) != len(dst):
        return None
    m = dict(m)
    for a, b in zip(src, dst):
        if m.setdefault(a, b) != b or (a == 0) != (b == 0):
            return None
    return m if len(set(m.values())) == len(m) else None


def familiar_match(apply, sample_input, cfg) -> str | None:
    """A familiar rule that `apply` (the rule on a row, rendered) equals up to a colour renaming,
    or is within `cfg.novelty` - 1 moved cells of; a kept cell counts as copying an input position."""
    n = cfg.cells
    pos = [0] * n
    for j in range(n):  # one-cell probes: where does input cell j land?
        out = apply(tuple(1 if i == j else 0 for i in range(n)))
        pos[[i for i, v in enumerate(out) if v != "0"][0]] = j
    fixed = [i for i in range(n) if pos[i] == i]
    if fixed:
        return f"copies cell {fixed[0]}"
    for name, f in checker_functions(n).items():
        moved = sum(a != b for a, b in zip(pos, f(tuple(range(n)))))
        if moved < cfg.novelty:
            return name if not moved else f"{name} with {moved} cells moved"
    rng = item_rng("grid_1d", "checker")
    rows = [sample_input(rng) for _ in range(64)]
    for name, f in MOVES.items():
        m: dict | None = {}
        for x in rows:
            m = _renames(m, f(x), tuple(map(int, apply(x))))
        if m is not None:
            return name
    return None
