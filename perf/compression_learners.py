"""Compression learners, independent of generators/learners.py: can a family be solved from its
demo outputs alone, or does a generic paired learner beat the ideal?

    python perf/compression_learners.py [--seed S] [--episodes N] [--ideal-episodes M] [--families a,b]

Two questions, per family and variant, with standard errors over episodes (an episode's queries
share a rule):

1. Outputs alone (k = 16; the deranged pairing control shows the same bag of outputs, so this is
   also what a learner of outputs gets there; in the cells with a ``_k16_decoupled`` control, also
   on the outputs that control shows).  The learner sees the 16 demo outputs and the
   choices, nothing else: ``zlib``, the choice that adds the fewest compressed bytes to the
   outputs' text; ``chars``, the choice most likely under a per-position character model of the
   outputs (add-one smoothing).  Each is also run negated (argmin), since a tell against the gold
   is a tell all the same.  Printed: the best of the four and its z against chance.
2. Above the ideal (k = 1, 4, 16, the first ``--ideal-episodes``): ``zlib_pairs``, the choice that
   adds the fewest compressed bytes to the demos written as "input -> output" lines when written
   as "query -> choice".  A learner of the generative process's own Bayes posterior cannot be
   beaten in expectation; printed: the paired per-episode difference zlib_pairs - ideal and its z.

Stdlib and ood_icl.generators only; the default seed 4243 is neither the published seed nor a
development one.  ``!`` marks z > 3 (a learner above chance from outputs, or above the ideal).
"""

from __future__ import annotations

import math
import sys
import time
import zlib
from collections import Counter

from ood_icl._args import OneLineParser, checked_names, pos_int
from ood_icl.generators import FAMILIES, VARIANTS, decoupled_demos, get_family, has_decoupled_control
from ood_icl.generators.check import mean_se
from ood_icl.generators.episodes import distinct_episodes
from ood_icl.generators.learners import expected_accuracy

K_OUTPUTS = 16
IDEAL_KS = (1, 4, 16)
N_QUERIES = 5
Z_FLAG = 3.0


def _added_bytes(context: str, extra: str) -> int:
    return len(zlib.compress((context + extra).encode(), 9)) - len(zlib.compress(context.encode(), 9))


def zlib_outputs(outputs: list[str], choices) -> list[float]:
    text = "\n".join(outputs) + "\n"
    return [-float(_added_bytes(text, c)) for c in choices]


def chars_outputs(outputs: list[str], choices) -> list[float]:
    """Log-likelihood of a choice under independent per-position character distributions."""
    width = max(map(len, outputs + list(choices)))
    columns = [Counter(y[i] if i < len(y) else "" for y in outputs) for i in range(width)]
    alphabet = len({ch for y in outputs + list(choices) for ch in y}) + 1
    return [sum(math.log((col[c[i] if i < len(c) else ""] + 1) / (len(outputs) + alphabet))
                for i, col in enumerate(columns)) for c in choices]


def zlib_pairs(demos: list[tuple[str, str]], query: str, choices) -> list[float]:
    text = "".join(f"{x} -> {y}\n" for x, y in demos)
    return [-float(_added_bytes(text, f"{query} -> {c}\n")) for c in choices]


def _z(m: float, se: float, ref: float) -> float:
    if se > 1e-12:
        return (m - ref) / se
    return 0.0 if abs(m - ref) < 1e-9 else math.copysign(math.inf, m - ref)


def outputs_alone(eps, outputs_of=lambda ep: [d.output for d in ep.demos[:K_OUTPUTS]]) -> tuple[str, float, float, float]:
    """(best learner, its mean accuracy, se, z against chance) over the signed outputs-only learners,
    on the outputs ``outputs_of(episode)`` shows (default: the real k=16 demos')."""
    chance = 1 / len(eps[0].queries[0].choices)
    best = None
    for name, fn in (("zlib", zlib_outputs), ("chars", chars_outputs)):
        for sign, label in ((1, name), (-1, "not " + name)):
            per = []
            for ep in eps:
                outs = outputs_of(ep)
                per.append(sum(expected_accuracy([sign * s for s in fn(outs, q.choices)], q.label)
                               for q in ep.queries) / len(ep.queries))
            m, se = mean_se(per)
            row = (label, m, se, _z(m, se, chance))
            if best is None or row[3] > best[3]:
                best = row
    return best


def against_ideal(fam, variant, cfg, eps, k: int) -> tuple[float, float, float, float]:
    """(zlib_pairs accuracy, ideal accuracy, mean paired difference, its z) at k demos."""
    ours, ideal = [], []
    for ep in eps:
        shown = [(d.input, d.output) for d in ep.demos[:k]]
        raw = [(x, d.output) for x, d in zip(ep.raw_demo_inputs[:k], ep.demos[:k])]
        ours.append(sum(expected_accuracy(zlib_pairs(shown, q.input, q.choices), q.label)
                        for q in ep.queries) / len(ep.queries))
        ideal.append(sum(expected_accuracy(fam.ideal(variant, cfg, raw, x, q.choices), q.label)
                         for x, q in zip(ep.raw_query_inputs, ep.queries)) / len(ep.queries))
    d, se = mean_se([a - b for a, b in zip(ours, ideal)])
    return sum(ours) / len(ours), sum(ideal) / len(ideal), d, _z(d, se, 0.0)


def main(argv: list[str] | None = None) -> int:
    ap = OneLineParser(prog="compression_learners.py", description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=4243)
    ap.add_argument("--episodes", type=pos_int, default=1000)
    ap.add_argument("--ideal-episodes", type=pos_int, default=200)
    ap.add_argument("--families", type=checked_names(get_family), default=sorted(FAMILIES))
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    print(f"# seed {args.seed}, difficulty 2, {N_QUERIES} queries; outputs alone on {args.episodes} episodes, "
          f"against the ideal on {min(args.ideal_episodes, args.episodes)}")
    flags = 0
    for name in args.families:
        fam = get_family(name)
        cfg = fam.config(2)
        for variant in VARIANTS:
            t = time.perf_counter()
            eps = list(distinct_episodes(fam, variant, cfg, seed=args.seed, n_episodes=args.episodes,
                                         n_queries=N_QUERIES, pool_size=K_OUTPUTS))
            label, m, se, z = outputs_alone(eps)
            flag = variant != "id" and z > Z_FLAG
            flags += flag
            line = f"{name:13s} {variant:7s} outputs alone: best {label:9s} {m:.3f} ± {se:.3f} z {z:+5.1f}{' !' if flag else '  '}"
            if has_decoupled_control(fam, variant):  # what the _k16_decoupled task shows
                label, m, se, z = outputs_alone(eps, lambda ep: [d.output for d in decoupled_demos(fam, cfg, ep)[0]])
                flags += z > Z_FLAG
                line += f" | decoupled: best {label:9s} {m:.3f} ± {se:.3f} z {z:+5.1f}{' !' if z > Z_FLAG else '  '}"
            for k in IDEAL_KS:
                ours, ideal, d, zd = against_ideal(fam, variant, cfg, eps[:args.ideal_episodes], k)
                flags += zd > Z_FLAG
                line += f" | k={k:<2d} zlib_pairs {ours:.3f} ideal {ideal:.3f} diff {d:+.3f} z {zd:+5.1f}{' !' if zd > Z_FLAG else ''}"
            print(line + f"  {time.perf_counter() - t:.0f}s", flush=True)
    print(f"# {flags} flagged (outputs alone above chance on renamed/ood or on a decoupled control, or zlib_pairs "
          f"above the ideal); "
          f"wall time {time.perf_counter() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
