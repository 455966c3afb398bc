"""Count the tokens a group costs a model: python perf/suite_tokens.py [GROUP] [MODEL_DIR].

lm-eval scores every (prompt, choice) pair with its own forward pass, so the cost of a task is
sum over docs and choices of len(prompt + " " + choice) tokens. Prints per family and in total,
and the forward time it implies at a measured tokens/s.
"""

from __future__ import annotations

import sys
from collections import defaultdict

from transformers import AutoTokenizer

from ood_icl.generators import FAMILIES, VARIANTS, render_prompt
from ood_icl.model import default_model_path
from ood_icl.harness.tasks import load
from ood_icl.suite import EPISODES, QUICK_SHOTS, SHOTS


def main() -> None:
    group = sys.argv[1] if len(sys.argv) > 1 else "ood_icl"
    tok = AutoTokenizer.from_pretrained(sys.argv[2] if len(sys.argv) > 2 else str(default_model_path()))
    shots = {"ood_icl": SHOTS, "ood_icl_k0": (0,), "ood_icl_quick": QUICK_SHOTS}[group]
    episodes = {"ood_icl": EPISODES["suite"], "ood_icl_k0": EPISODES["k0"], "ood_icl_quick": EPISODES["quick"]}[group]
    per_family: dict[str, int] = defaultdict(int)
    requests = 0
    for fam in sorted(FAMILIES):
        for variant in VARIANTS:
            for k in shots:
                for doc in load(family=fam, variant=variant, k=k, episodes=episodes)["test"]:
                    prompt = render_prompt(doc["demos"], doc["query"])
                    n_prompt = len(tok(prompt).input_ids)
                    for choice in doc["choices"]:
                        per_family[fam] += n_prompt + len(tok(" " + choice).input_ids)
                        requests += 1
    total = sum(per_family.values())
    for fam, n in sorted(per_family.items(), key=lambda kv: -kv[1]):
        print(f"{fam:14s} {n:>10,d} tokens")
    print(f"{group}: {requests:,d} requests, {total:,d} tokens; at 2,000 tokens/s: {total / 2000 / 60:.1f} min")


if __name__ == "__main__":
    main()
