"""How much does the fine-tuning step cost beyond the model's own forward and backward?

python perf/finetune_step.py [--model PATH] [--method lora|full] [--budgets 1,4,16] [--threads 1]
                             [--repeats 5] [--episodes 1] [--dtype float32] [--device cpu|cuda] [--pack 8]

1. One optimizer step of the baseline on one episode's batch (every budget's demos, one
   adapter per budget, as ``ood-icl finetune`` trains them) against a raw forward + backward
   of the same rows through the same model (Hugging Face ``labels=`` loss, one adapter, no
   optimizer).  Median over ``--repeats``.  Goal: step / raw <= 1.3.
2. With ``--pack N`` (LoRA): N runs of 16 demos (N episodes) in one routed forward + backward
   against a forward + backward each: what "several episodes' adapters in one batch" would gain.
3. A whole run's wall time (``finetune_tasks`` on ``--episodes`` episodes of cipher_ood,
   model loading included) and the time per episode.

Timings on a shared CPU are noisy: both measurements of (1) alternate in the same process.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

from ood_icl.finetune.config import FinetuneConfig, cell_episodes
from ood_icl.finetune.learner import Learner, pin_cpu_numerics
from ood_icl.finetune.recipe import Recipe, unit_generator
from ood_icl.finetune.run import finetune_tasks
from ood_icl.finetune.train import Run, train
from ood_icl.model import default_model_path


def _raw_step(learner: Learner, pairs: list, slot: str | None) -> None:
    """The model's own forward + backward (labels = continuation tokens), nothing else."""
    pad = learner.tokenizer.pad_token_id or 0
    seqs = [ctx + cont for ctx, cont in pairs]
    width = max(map(len, seqs))
    ids = torch.full((len(seqs), width), pad)
    labels = torch.full((len(seqs), width), -100)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for b, ((ctx, cont), seq) in enumerate(zip(pairs, seqs)):
        ids[b, :len(seq)] = torch.tensor(seq)
        labels[b, len(ctx):len(seq)] = torch.tensor(cont)
        mask[b, :len(seq)] = 1
    if slot is not None:
        learner.model.set_adapter(slot)
    kind = learner.device.type
    ids, labels, mask = ids.to(learner.device), labels.to(learner.device), mask.to(learner.device)
    autocast = torch.autocast(kind, dtype=learner.dtype) if learner._autocast else torch.autocast(kind, enabled=False)
    with autocast:
        loss = learner.model(input_ids=ids, attention_mask=mask, labels=labels).loss
    loss.backward()
    for p in learner.model.parameters():
        p.grad = None
    _sync(learner.device)


def _sync(device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None)
    ap.add_argument("--method", choices=("lora", "full"), default="lora")
    ap.add_argument("--budgets", default="1,4,16")
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--pack", type=int, default=0, help="LoRA: time N 16-demo runs in one forward vs one each")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--episodes", type=int, default=1, help="for the whole-run timing (0: skip it)")
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    args = ap.parse_args()
    pin_cpu_numerics()  # the CPU code paths a fine-tuning run takes (before the first tensor op)
    torch.set_num_threads(args.threads)
    model = args.model or str(default_model_path())
    budgets = tuple(int(b) for b in args.budgets.split(","))
    lora = args.method == "lora"

    learner = Learner(model, args.method, slots=max(len(budgets), args.pack) if lora else 1, dtype=args.dtype, device=args.device)
    config = FinetuneConfig(model=model, cells=(("cipher", "ood"),), budgets=budgets, method=args.method)
    ep = cell_episodes(config, "cipher", "ood")[0]
    demos = learner.encode_demos(ep.demos[:max(budgets)])
    # LoRA trains every budget in one batch; full fine-tuning trains the largest budget alone
    groups = [budgets] if lora else [budgets[-1:]]
    rows = [p for b in groups[0] for p in demos[:min(b, Recipe.batch)]]  # a step sees one batch per run
    tokens = sum(len(c) + len(o) for c, o in rows)

    # the loop's own iterations, timed between the checkpoint callbacks (one step each)
    marks: list[float] = []
    runs = [Run(learner.slots[i] if lora else None, tuple(demos[:b]), Recipe(lr=1e-4, steps=args.repeats + 2),
                unit_generator(0, 0, "cipher", "ood", 0, b)) for i, b in enumerate(groups[0])]
    def mark(step: int) -> None:
        _sync(learner.device)
        marks.append(time.perf_counter())

    train(learner, runs, checkpoints=range(1, args.repeats + 3), on_checkpoint=mark)
    steps = [b - a for a, b in zip(marks[1:], marks[2:])]  # the first step warms up
    _raw_step(learner, rows, learner.slots[0])  # warm-up
    raw = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        _raw_step(learner, rows, learner.slots[0])
        raw.append(time.perf_counter() - start)
    step, raw_t = statistics.median(steps), statistics.median(raw)
    where = torch.cuda.get_device_name() if args.device == "cuda" else f"{args.threads} thread(s)"
    print(f"{args.method} {args.dtype}, {where}, batch {len(rows)} rows / {tokens} tokens "
          f"(budgets {','.join(map(str, groups[0]))}), median of {args.repeats}")
    print(f"  optimizer step (forward, backward, per-run clip, AdamW): {step * 1000:8.1f} ms")
    print(f"  raw forward + backward of the same rows (HF labels loss): {raw_t * 1000:8.1f} ms")
    print(f"  ratio step / raw: {step / raw_t:.2f}  (goal <= 1.3)")

    if lora and args.pack > 1:
        eps = cell_episodes(FinetuneConfig(model=model, cells=(("cipher", "ood"),), budgets=(16,),
                                           episodes=args.pack), "cipher", "ood")
        runs16 = [(learner.slots[i], tuple(learner.encode_demos(e.demos[:16]))) for i, e in enumerate(eps)]
        joint_rows = [p for _, pairs in runs16 for p in pairs]
        joint_names = [slot for slot, pairs in runs16 for _ in pairs]

        def each() -> None:
            learner.run_losses(runs16).sum().backward()

        def joint() -> None:
            lp, mask, _ = learner.target_logprobs(joint_rows, joint_names)
            (-lp.sum() / mask.sum()).backward()

        times = {each: [], joint: []}
        for _ in range(args.repeats + 1):  # alternate, drop the first of each
            for fn in (each, joint):
                start = time.perf_counter()
                fn()
                for p in learner.model.parameters():
                    p.grad = None
                _sync(learner.device)
                times[fn].append(time.perf_counter() - start)
        t_each, t_joint = (statistics.median(times[f][1:]) for f in (each, joint))
        print(f"  {args.pack} runs x 16 demos: a forward + backward each {t_each * 1000:8.1f} ms, "
              f"all in one routed forward {t_joint * 1000:8.1f} ms (ratio {t_each / t_joint:.2f})")

    if args.episodes:
        with tempfile.TemporaryDirectory(prefix="ft-perf-") as tmp:
            cfg = FinetuneConfig(model=model, cells=(("cipher", "ood"),), budgets=budgets, method=args.method,
                                 episodes=args.episodes, dtype=args.dtype, threads=args.threads, device=args.device)
            start = time.perf_counter()
            finetune_tasks(cfg, Path(tmp), progress=False)
            wall = time.perf_counter() - start
        print(f"whole run: cipher_ood x {args.episodes} episode(s) x budgets {args.budgets}: {wall:.1f} s wall "
              f"(model load included; {wall / args.episodes:.1f} s per episode)")


if __name__ == "__main__":
    main()
