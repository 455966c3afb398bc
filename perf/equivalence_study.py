"""How many fine-tuning examples is one in-context example worth?  A by-hand study on fewer episodes.

python perf/equivalence_study.py RECORD FT_RUN [FT_RUN ...]

RECORD: a leaderboard record (leaderboard/submissions/<model>.json) holding the model's
in-context series and its fine-tuning series at the default budgets.  FT_RUN: ``ood-icl
finetune`` runs of the same model and seed with more budgets (64, 128, ...) on the first E
episodes of each task, where a full run at those budgets costs too much (each is verified
like a submission, ``--allow-small --allow-partial``).

Everything is cut to the first E episodes, where every series has them, and the leaderboard's
own statistics (``leaderboard.stats.compute``: bootstrap over episodes, paired across
methods) give, for the ood variant, the mean accuracy per in-context k and per fine-tuning
budget, and the example equivalence: the budget whose fine-tuning accuracy equals in-context
accuracy at the largest k.  For a budget in both the record and a run, the record's series is
kept and the share of docs that agree is printed: LoRA budgets that train side by side share
one padded batch, so in bf16 a budget's result moves by float noise with the other budgets
beside it (docs/finetune.md, "Reproducibility").
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
    ap.add_argument("--variant", default="ood", choices=("ood", "id"))
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
    series = [dict(s, correct=s["correct"][:episodes * q]) for s in record.series]
    for s in extra:
        key = (s["family"], s["variant"], s["method"], s["k"])
        bits = s["correct"][:episodes * q]
        if key in have:  # the record's series stays: it is the published run's
            same = sum(x == y for x, y in zip(have[key][:episodes * q], bits))
            print(f"{s['task']}: {same}/{len(bits)} docs as in the record")
            continue
        series.append(dict(s, correct=bits))
    cut = replace(record, sizes=dict(record.sizes, episodes=episodes), series=series, ideal={})
    st = compute(cut)
    print(f"\n{record.name}: mean acc over {len(st.families)} families, {args.variant}, "
          f"first {episodes} episodes x {q} queries (95% bootstrap interval over episodes)")
    print("| method | k | acc |\n|---|---|---|")
    for (variant, method, k), est in sorted(st.overview.items(), key=lambda kv: (kv[0][1] != "icl", kv[0][2])):
        if variant == args.variant and (method, k) != ("icl", 0):
            print(f"| {'in-context' if method == 'icl' else 'fine-tuned'} | {k} | "
                  f"{est.value:.3f} [{est.lo:.3f}, {est.hi:.3f}] |")
    if args.variant == "ood" and st.equivalence.ok:
        print(f"\nexample equivalence (ood): fine-tuning on {fmt_budget(st.equivalence, st.ft_budgets)} "
              f"examples matches in-context learning from {st.equivalence_k} (budgets {st.ft_budgets})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
