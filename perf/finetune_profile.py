"""Where does a LoRA fine-tuning step's time go?  Host (CPU) against device, threads, determinism.

python perf/finetune_profile.py [--device cuda|cpu] [--model PATH]

1. For torch threads 1 and 8, with torch's deterministic algorithms on and off: the median of
   5 timings (after one warm-up) of a raw Hugging Face forward+backward of one episode's rows
   (budgets 1, 4, 16 of cipher_ood), of the baseline's routed forward over the three adapters
   (``Learner.run_losses``), of that forward with its backward, and of ``train`` for 10 steps
   (the resets and the before/after losses included; median of 2).
2. torch.profiler over ``train`` for 4 steps: the top operators by host (self CPU) time and, on
   CUDA, by device time.  When self CPU time is many times self CUDA time the step is bound by
   the host launching small kernels, not by the GPU.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, str(Path(__file__).parent))
from finetune_step import _raw_step, _sync  # noqa: E402

from ood_icl.finetune.config import FinetuneConfig, cell_episodes  # noqa: E402
from ood_icl.finetune.learner import Learner, pin_cpu_numerics  # noqa: E402
from ood_icl.finetune.recipe import Recipe, unit_generator  # noqa: E402
from ood_icl.finetune.train import Run, train  # noqa: E402
from ood_icl.model import default_model_path  # noqa: E402

BUDGETS = (1, 4, 16)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cuda")
    ap.add_argument("--model", default=None)
    args = ap.parse_args()
    pin_cpu_numerics()  # the CPU code paths a fine-tuning run takes (before the first tensor op)
    model = args.model or str(default_model_path())
    learner = Learner(model, "lora", slots=len(BUDGETS), device=args.device)
    cfg = FinetuneConfig(model=model, cells=(("cipher", "ood"),), budgets=BUDGETS, method="lora")
    demos = learner.encode_demos(cell_episodes(cfg, "cipher", "ood")[0].demos[:max(BUDGETS)])
    rows = [p for b in BUDGETS for p in demos[:b]]
    batches = [(s, demos[:b]) for s, b in zip(learner.slots, BUDGETS)]

    def runs(steps: int) -> list[Run]:
        return [Run(learner.slots[i], tuple(demos[:b]), Recipe(lr=1e-4, steps=steps),
                    unit_generator(0, 0, "cipher", "ood", 0, b)) for i, b in enumerate(BUDGETS)]

    def timed(fn, n: int = 5) -> float:
        fn()
        _sync(learner.device)
        ts = []
        for _ in range(n):
            start = time.perf_counter()
            fn()
            _sync(learner.device)
            ts.append(time.perf_counter() - start)
        return statistics.median(ts) * 1000

    for threads in (1, 8):
        torch.set_num_threads(threads)
        for det in (True, False):
            torch.use_deterministic_algorithms(det)
            raw = timed(lambda: _raw_step(learner, rows, learner.slots[0]))
            fwd = timed(lambda: learner.run_losses(batches).sum().item())
            fb = timed(lambda: learner.run_losses(batches).sum().backward())
            t10 = timed(lambda: train(learner, runs(10)), n=2)
            print(f"threads {threads} deterministic {det}: raw f+b {raw:.1f} ms | run_losses fwd {fwd:.1f} ms | "
                  f"run_losses f+b {fb:.1f} ms | train 10 steps (+reset/eval) {t10:.0f} ms", flush=True)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(args.device == "cuda")  # as Learner sets it
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if args.device == "cuda" else [])
    with profile(activities=acts) as prof:
        train(learner, runs(4))
        _sync(learner.device)
    table = prof.key_averages()
    print(table.table(sort_by="self_cpu_time_total", row_limit=25, max_name_column_width=60))
    if args.device == "cuda":
        print(table.table(sort_by="self_cuda_time_total", row_limit=15, max_name_column_width=60))


if __name__ == "__main__":
    main()
