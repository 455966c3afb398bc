"""How many fine-tuning examples is one in-context example worth?  A by-hand study on fewer episodes.

python perf/equivalence_study.py RECORD FT_RUN [FT_RUN ...]

RECORD: a leaderboard record (leaderboard/submissions/<model>.json) holding the model's
in-context series (and its fine-tuning series, if it has one).  FT_RUN: ``ood-icl
finetune`` runs of the same model and seed with more budgets (64, 128, ...) on the first E
episodes of each task, where a full run at those budgets costs too much (each is verified
like a submission, ``--allow-small --allow-partial``).

Everything is cut to the first E episodes, where every series has them, and the leaderboard's
own statistics (``leaderboard.stats.compute``: bootstrap over episodes, paired across
methods) give, for the ood variant, the mean accuracy per in-context k and per fine-tuning
budget, and the example equivalence: the budget whose fine-tuning accuracy equals in-context
accuracy at k = 4 and 16 ("FT examples = ICL@k", as the board computes it), and ICL - FT.  For a
budget in both the record and a run, the record's series is kept and the share of docs that
agree is printed (since FINETUNE_VERSION 4 a run does not depend on the budgets beside it, so
they agree bit for bit when the recipes are the same).  Runs of both methods (LoRA and full)
are not told apart: study one method at a time.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from ood_icl.io import read_json
from ood_icl.leaderboard.columns import fmt_budget
from ood_icl.leaderboard.derive import verified_series
from ood_icl.leaderboard.record import Record
from ood_icl.leaderboard.stats import compute
from ood_icl.verify.run import verify_run


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("record", type=Path)
    ap.add_argument("runs", type=Path, nargs="+")
    ap.add_argument("--variant", default="ood", choices=("ood", "renamed", "id"))
    args = ap.parse_args()
    record = Record.from_json(read_json(args.record), args.record.name)
    q = record.sizes["queries"]
    extra = []
    for run in args.runs:
        v = verify_run(run, seed=record.seed, kind="ft", allow_small=True, allow_partial=True)
        if not v.ok:
            print(f"{run}: does not verify", file=sys.stderr)
            return 1
        extra += verified_series(v)
    episodes = min(len(s["correct"]) for s in extra) // q
    have = {(s["family"], s["variant"], s["method"], s["k"]): s["correct"] for s in record.series}
    fams = {s["family"] for s in extra}  # a run of some families only: compare on those
    if fams != {s["family"] for s in record.series}:
        print(f"families: {', '.join(sorted(fams))} (the ones the runs have)")
    def cut(s: dict) -> dict:  # the per-doc bits to the first episodes
        return {k: v[:episodes * q] if k in ("correct", "acc_norm") and v is not None else v for k, v in s.items()}

    series = [cut(s) for s in record.series if s["family"] in fams]
    for s in extra:
        key = (s["family"], s["variant"], s["method"], s["k"])
        bits = s["correct"][:episodes * q]
        if key in have:  # the record's series stays: it is the published run's
            same = sum(x == y for x, y in zip(have[key][:episodes * q], bits))
            print(f"{s['task']}: {same}/{len(bits)} docs as in the record")
            continue
        series.append(cut(s))
    small = replace(record, sizes=dict(record.sizes, episodes=episodes), series=series, ideal={},
                    chance={f: p for f, p in record.chance.items() if f in fams})
    st = compute(small)
    print(f"\n{record.name}: mean acc over {len(st.families)} families, {args.variant}, "
          f"first {episodes} episodes x {q} queries (95% bootstrap interval over episodes)")
    print("| method | k | acc |\n|---|---|---|")
    for (variant, method, k), est in sorted(st.overview.items(), key=lambda kv: (kv[0][1] != "icl", kv[0][2])):
        if variant == args.variant and (method, k) != ("icl", 0):
            print(f"| {({'icl': 'in-context', 'ft': 'fine-tuned'}).get(method, method)} | {k} | "
                  f"{est.value:.3f} [{est.lo:.3f}, {est.hi:.3f}] |")
    budgets = st.budgets.get(args.variant, ())
    for (variant, k), est in sorted(st.exchange.items()):
        if variant == args.variant and k > 1:
            print(f"FT examples = ICL@{k} ({variant}): {fmt_budget(est, budgets)} (budgets {list(budgets)})")
    if args.variant in st.icl_ft:
        d = st.icl_ft[args.variant]
        print(f"ICL - FT ({args.variant}, mean over the shots that are also budgets): "
              f"{d.value:+.3f} [{d.lo:+.3f}, {d.hi:+.3f}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
