"""Do bfloat16 and float32 give the same answers, and how much faster is bfloat16 here?

python perf/bf16_vs_fp32.py [DOCS_PER_TASK] [K]

Scores the same docs (every family x variant, k demonstrations) with SmolLM2 in both dtypes,
exactly as lm-eval's multiple-choice scoring does (sum of log-probs of " " + choice after the
prompt), and prints the argmax agreement, each dtype's accuracy and tokens/s, measured in the
same run.
"""

from __future__ import annotations

import sys
import time

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from ood_icl.generators import FAMILIES, VARIANTS, render_prompt
from ood_icl.model import default_model_path
from ood_icl.harness.tasks import load


@torch.no_grad()
def choice_logprobs(model, tok, prompt: str, choices: list[str]) -> list[float]:
    ctx = tok(prompt).input_ids
    scores = []
    for choice in choices:
        cont = tok(prompt + " " + choice).input_ids[len(ctx):]
        ids = torch.tensor([ctx + cont])
        logits = model(ids).logits[0, len(ctx) - 1:-1].float().log_softmax(-1)
        scores.append(logits.gather(1, torch.tensor(cont)[:, None]).sum().item())
    return scores


def main() -> None:
    per_task = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    k = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    path = str(default_model_path())
    tok = AutoTokenizer.from_pretrained(path)
    docs = [d for f in sorted(FAMILIES) for v in VARIANTS
            for d in load(family=f, variant=v, k=k, episodes=2)["test"].select(range(per_task))]
    n_tokens = sum(len(tok(render_prompt(d["demos"], d["query"]) + " " + c).input_ids)
                   for d in docs for c in d["choices"])
    picks, speed = {}, {}
    for dtype in (torch.bfloat16, torch.float32):
        model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype).eval()
        start = time.perf_counter()
        picks[dtype] = []
        for d in docs:
            s = choice_logprobs(model, tok, render_prompt(d["demos"], d["query"]), d["choices"])
            picks[dtype].append(max(range(len(s)), key=s.__getitem__))
        speed[dtype] = n_tokens / (time.perf_counter() - start)
    agree = sum(a == b for a, b in zip(picks[torch.bfloat16], picks[torch.float32])) / len(docs)
    for dtype in picks:
        acc = sum(p == d["label"] for p, d in zip(picks[dtype], docs)) / len(docs)
        print(f"{str(dtype):15s} acc {acc:.3f}  {speed[dtype]:7.0f} tokens/s")
    print(f"{len(docs)} docs (k={k}), argmax agreement {agree:.3f}, "
          f"bf16/fp32 speed ratio {speed[torch.bfloat16] / speed[torch.float32]:.2f}x")


if __name__ == "__main__":
    main()
