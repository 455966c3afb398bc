"""An audit learner independent of generators/learners.py: a trained conditional-logit model.

    python perf/audit_learner.py [--train-seed 101] [--test-seed 31] [--train 300] [--test 1000]
                                 [--ideal-episodes 200] [--families a,b] [--controls-only]

Per family and variant it fits, on the training seed, a softmax over the choices of a linear score
of ~20 features, then reports on the test seed (a fresh one):

- control: the model trained and tested on the pairing control (k=16, demo outputs deranged):
  features that see the outputs (their characters, bigrams, tokens, positions, numbers, lengths)
  and the inputs only as a set (frequency-rank letter maps, unpaired token statistics). It must
  stay at chance on renamed and ood where the deranged control is exact (docs/validity.md).
- decoupled: the same, trained and tested on the decoupled control (``_k16_decoupled``: the gold's
  outputs on fresh inputs), in the 15 renamed and ood cells that have one. It must stay at chance
  there: no learner can do better, whatever it computes.
- paired: the same model with paired features too (nearest input's output, position-wise letter
  and token maps, edit-distance voting), trained at each k in {1, 4, 16} on true demos, beside the
  family's ideal learner on the same episodes (paired per-episode difference, its 95% interval).

Figures are means over episodes with 1.96 standard errors over episodes.  Not a test: a check
run by hand when the families change (docs/validity.md).  ``--controls-only`` skips the paired
columns (the family ideals are the slow part).
"""

from __future__ import annotations

import math
import re
import sys
from collections import Counter
from difflib import SequenceMatcher

import numpy as np

from ood_icl._args import OneLineParser, checked_names, nonneg_int, pos_int
from ood_icl.generators import (FAMILIES, PAIRED_K, decoupled_demos, get_family, has_decoupled_control,
                                ideal_accuracy, shuffled_demos)
from ood_icl.generators.episodes import distinct_episodes

_NUM = re.compile(r"-?\d+")


def _toks(s: str) -> list[str]:
    return s.split() if " " in s.strip() else list(s)


def _ratio(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _rank_map(ins: list[str], outs: list[str]) -> dict:
    """Letters (or tokens) of the inputs mapped to those of the outputs by frequency rank: a
    frequency analysis that needs no pairing."""
    ci = Counter(t for x in ins for t in _toks(x))
    co = Counter(t for y in outs for t in _toks(y))
    return dict(zip([t for t, _ in ci.most_common()], [t for t, _ in co.most_common()]))


def unpaired_features(demos, query, choice) -> list[float]:
    ins, outs = [x for x, _ in demos], [y for _, y in demos]
    chars = Counter(c for y in outs for c in y)
    total = sum(chars.values()) or 1
    big = Counter((a, b) for y in outs for a, b in zip(y, y[1:]))
    toks = Counter(t for y in outs for t in _toks(y))
    pos = Counter((j, t) for y in outs for j, t in enumerate(_toks(y)))
    ct = _toks(choice)
    rank = _rank_map(ins, outs)
    guess = "".join(rank.get(c, c) for c in query) if all(len(_toks(x)) == len(x) for x in ins) else \
        " ".join(rank.get(t, t) for t in query.split())
    nums_c = [int(t) for t in _NUM.findall(choice)]
    nums_o = [int(t) for y in outs for t in _NUM.findall(y)]
    mean_o = sum(nums_o) / len(nums_o) if nums_o else 0.0
    lens = [len(y) for y in outs] or [0]
    return [
        sum(math.log((chars[c] + 0.5) / (total + 20)) for c in choice) / max(1, len(choice)),
        sum(math.log(big[(a, b)] + 0.5) for a, b in zip(choice, choice[1:])) / max(1, len(choice) - 1),
        sum(toks[t] > 0 for t in ct) / max(1, len(ct)),
        sum(math.log(toks[t] + 0.5) for t in ct) / max(1, len(ct)),
        sum(math.log(pos[(j, t)] + 0.5) for j, t in enumerate(ct)) / max(1, len(ct)),
        float(outs.count(choice)),
        max((_ratio(choice, y) for y in outs), default=0.0),
        -abs(len(choice) - sum(lens) / len(lens)),
        -abs(sum(nums_c) / len(nums_c) - mean_o) / (1 + abs(mean_o)) if nums_c and nums_o else 0.0,
        float(bool(nums_c) and min(nums_o, default=0) <= min(nums_c) and max(nums_c) <= max(nums_o, default=0)),
        _ratio(choice, guess),
        len(set(choice)) / max(1, len(choice)),
        _ratio(choice, query),
    ]


def paired_features(demos, query, choice) -> list[float]:
    if not demos:
        return [0.0] * 4
    near = max(demos, key=lambda d: _ratio(d[0], query))
    at = Counter()
    tok = Counter()
    for x, y in demos:
        if len(x) == len(y):
            at.update((i, a, b) for i, (a, b) in enumerate(zip(x, y)))
        xs, ys = x.split(), y.split()
        if len(xs) == len(ys):
            tok.update((i, a, b) for i, (a, b) in enumerate(zip(xs, ys)))
    char_vote = sum(at[(i, a, b)] for i, (a, b) in enumerate(zip(query, choice))) / max(1, len(choice))
    qs, cs = query.split(), choice.split()
    tok_vote = sum(tok[(i, a, b)] for i, (a, b) in enumerate(zip(qs, cs))) / max(1, len(cs))
    vote = sum(_ratio(choice, y) * _ratio(query, x) for x, y in demos) / len(demos)
    return [_ratio(choice, near[1]), char_vote, tok_vote, vote]


def _shown(ep, k: int, control: str | None, fam=None, cfg=None):
    if control == "shuffled":
        return shuffled_demos(ep)[0]
    if control == "decoupled":
        return decoupled_demos(fam, cfg, ep)[0]
    return ep.demos[:k]


def _design(episodes, k: int, control: str | None, paired: bool, fam=None, cfg=None):
    """Per query: a (n_choices, n_features) matrix, the label, the episode index."""
    X, y, ep_of = [], [], []
    for e, ep in enumerate(episodes):
        shown = _shown(ep, k, control, fam, cfg)
        demos = [(d.input, d.output) for d in shown]
        for q in ep.queries:
            rows = [unpaired_features(demos, q.input, c) + (paired_features(demos, q.input, c) if paired else [])
                    for c in q.choices]
            X.append(np.array(rows, dtype=float))
            y.append(q.label)
            ep_of.append(e)
    return X, np.array(y), np.array(ep_of)


def _fit(X, y, steps: int = 300, lr: float = 0.1, l2: float = 1e-3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    allx = np.concatenate(X)
    mu, sd = allx.mean(0), allx.std(0) + 1e-9
    Z = np.stack([(x - mu) / sd for x in X])  # (queries, choices, features)
    w = np.zeros(Z.shape[2])
    for _ in range(steps):
        s = Z @ w
        p = np.exp(s - s.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        onehot = np.eye(Z.shape[1])[y]
        grad = np.einsum("qc,qcf->f", p - onehot, Z) / len(y) + l2 * w
        w -= lr * grad
    return w, mu, sd


def _accuracy(model, X, y) -> np.ndarray:
    w, mu, sd = model
    out = []
    for x, label in zip(X, y):
        s = ((x - mu) / sd) @ w
        best = np.flatnonzero(s >= s.max() - 1e-12)
        out.append(1 / len(best) if label in best else 0.0)
    return np.array(out)


def _by_episode(values: np.ndarray, ep_of: np.ndarray) -> np.ndarray:
    return np.array([values[ep_of == e].mean() for e in np.unique(ep_of)])


def _ci(per_ep: np.ndarray) -> str:
    return f"{per_ep.mean():.3f} ± {1.96 * per_ep.std(ddof=1) / math.sqrt(len(per_ep)):.3f}"


def audit(family: str, args) -> list[str]:
    fam = get_family(family)
    cfg = fam.config(2)
    lines = []
    for variant in ("renamed", "ood", "id"):
        train = list(distinct_episodes(fam, variant, cfg, seed=args.train_seed, n_episodes=args.train,
                                       n_queries=5, pool_size=PAIRED_K))
        test = list(distinct_episodes(fam, variant, cfg, seed=args.test_seed, n_episodes=args.test,
                                      n_queries=5, pool_size=PAIRED_K))
        row = [f"{family}_{variant}", f"{1 / fam.n_choices:.3f}"]
        for control in ("shuffled", "decoupled"):
            if control == "decoupled" and not has_decoupled_control(fam, variant):
                row.append("—")
                continue
            Xtr, ytr, _ = _design(train, PAIRED_K, control, False, fam, cfg)
            Xte, yte, ep = _design(test, PAIRED_K, control, False, fam, cfg)
            row.append(_ci(_by_episode(_accuracy(_fit(Xtr, ytr), Xte, yte), ep)))
        for k in (() if args.controls_only else (1, 4, 16)):
            Xtr, ytr, _ = _design(train, k, None, True)
            sub = test[:args.ideal_episodes]
            Xte, yte, ep = _design(sub, k, None, True)
            mine = _by_episode(_accuracy(_fit(Xtr, ytr), Xte, yte), ep)
            ideal = np.array([np.mean([ideal_accuracy(fam.ideal(variant, cfg, list(zip(e.raw_demo_inputs[:k], (d.output for d in e.demos[:k]))), x, q.choices), q.label)
                                       for x, q in zip(e.raw_query_inputs, e.queries)]) for e in sub])
            d = mine - ideal
            row.append(f"{mine.mean():.3f} / {ideal.mean():.3f} ({d.mean():+.3f} ± {1.96 * d.std(ddof=1) / math.sqrt(len(d)):.3f})")
        lines.append("| " + " | ".join(row) + " |")
        print(lines[-1], flush=True)
    return lines


def main(argv=None) -> int:
    ap = OneLineParser(prog="audit_learner.py", description=__doc__.splitlines()[0])
    ap.add_argument("--train-seed", type=nonneg_int, default=101)
    ap.add_argument("--test-seed", type=nonneg_int, default=31)
    ap.add_argument("--train", type=pos_int, default=300)
    ap.add_argument("--test", type=pos_int, default=1000)
    ap.add_argument("--ideal-episodes", type=pos_int, default=200)
    ap.add_argument("--families", type=checked_names(get_family), default=sorted(FAMILIES))
    ap.add_argument("--controls-only", action="store_true", help="only the control columns")
    args = ap.parse_args(argv)
    head = ["task", "chance", "deranged control (outputs + unpaired inputs)", "decoupled control"]
    head += [] if args.controls_only else ["k=1 mine / ideal (diff)", "k=4", "k=16"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for family in args.families:
        audit(family, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
