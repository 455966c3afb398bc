"""Kill a fine-tuning run twice at random moments, resume it, and compare with an uninterrupted run.

python perf/kill_resume.py [--tasks cipher_ood] [--episodes 3] [--budgets 1,4,16] [--kills 2] [--seed 0]
                           [--model PATH] [--out DIR]

1. An uninterrupted ``ood-icl finetune`` run (timed).
2. The same command in a fresh folder, killed with SIGKILL ``--kills`` times, each at a moment
   drawn uniformly from the first 90% of the work still to do (the process tree is killed, as
   an OOM killer or a pre-empted job would), then run again until it finishes.
3. Every final file (results JSON, samples JSONL; the date stamp taken out of the names) is
   compared byte for byte.  Exit 0 only if all are identical.

A by-hand check on the real model; tests/test_finetune.py does the same on a tiny one in CI.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ood_icl.finetune.state import STATE_DIR, final_files

STARTUP_S = 8.0  # imports and model loading before the first unit


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", default="cipher_ood")
    ap.add_argument("--episodes", default="3")
    ap.add_argument("--budgets", default="1,4,16")
    ap.add_argument("--kills", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0, help="seeds the kill moments")
    ap.add_argument("--model", default=None)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="kill-resume-"))
    base = [sys.executable, "-m", "ood_icl.finetune", "--tasks", args.tasks, "--episodes", args.episodes,
            "--budgets", args.budgets, "--quiet"] + (["--model", args.model] if args.model else [])

    t0 = time.perf_counter()
    subprocess.run(base + ["--output-path", str(out / "uninterrupted")], check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    print(f"uninterrupted run: {wall:.1f} s")

    rng = random.Random(args.seed)
    resumed = base + ["--output-path", str(out / "killed")]
    total = len([p for p in (out / "uninterrupted").rglob("*.json") if STATE_DIR in p.parts])
    for i in range(args.kills):
        # a moment within the work still to do (start-up, then the remaining units' share of the run)
        done = len([p for p in (out / "killed").rglob("*.json") if STATE_DIR in p.parts])
        delay = STARTUP_S + rng.uniform(0.0, 0.9) * (wall - STARTUP_S) * (total - done) / total
        proc = subprocess.Popen(resumed, stdout=subprocess.DEVNULL, start_new_session=True)
        try:
            proc.wait(timeout=delay)
            print(f"kill {i + 1}: the run finished before {delay:.1f} s")
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            units = len([p for p in (out / "killed").rglob("*.json") if STATE_DIR in p.parts])
            print(f"kill {i + 1}: SIGKILL at {delay:.1f} s, {units} state files on disk")
    subprocess.run(resumed, check=True, stdout=subprocess.DEVNULL)

    a, b = final_files(out / "uninterrupted"), final_files(out / "killed")
    same = a == b
    print(f"{len(a)} files; byte-identical: {same}" + ("" if same else f"; differ: {sorted(set(a) ^ set(b)) or [n for n in a if a[n] != b.get(n)]}"))
    print(f"folders: {out}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
