"""hf-prefix against lm-eval's hf backend, both in one run: python perf/prefix_speed.py [options].

Runs the same lm_eval command twice (`--model hf` then `--model hf-prefix`, through
`python -m ood_icl.harness.prefix`, which is lm-eval's own CLI with the backend registered) and
prints, per backend, the wall time, CPU time and peak RSS of the whole process; the tokens hf
runs (every request's input from its first token, padding not counted), the tokens hf-prefix
runs and the trie floor (distinct prefixes over all requests); then per task the acc of both,
the argmax agreement and the largest |Δ log-likelihood|.

    python perf/prefix_speed.py --tasks ood_icl_cipher,ood_icl_list_fn      # a subset, ~5 min
    python perf/prefix_speed.py --tasks ood_icl --out /tmp/prefix_speed     # the suite, ~30 min
    python perf/prefix_speed.py --dtype float32 --extra "--limit 5"          # exactness figures

The model defaults to `ood-icl model` (SmolLM2-135M-Instruct, converted once). Not a timed test:
other processes on the machine move the wall times; CPU times move less.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

from ood_icl.harness.prefix_compare import compare, report

REPO = Path(__file__).resolve().parent.parent


def default_model() -> str:
    cli = Path(sys.executable).with_name("ood-icl")
    out = subprocess.run([str(cli), "model"], check=True, capture_output=True, text=True).stdout
    return out.strip().splitlines()[-1]


def run_backend(backend: str, args, out: Path) -> dict:
    """One lm_eval run in a child process; its wall time, CPU time and peak RSS (os.wait4)."""
    stats = out / "prefix_stats.jsonl"
    shutil.rmtree(out / backend, ignore_errors=True)
    cmd = [sys.executable, "-m", "ood_icl.harness.prefix", "--model", backend,
           "--model_args", f"pretrained={args.model},dtype={args.dtype}", "--tasks", args.tasks,
           "--include_path", str(REPO / "task_yaml"), "--device", args.device,
           "--batch_size", str(args.batch_size), "--log_samples", "--output_path", str(out / backend),
           *shlex.split(args.extra)]
    print("$", shlex.join(cmd), flush=True)
    env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    if args.threads:
        env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(args.threads)
    if backend == "hf-prefix":
        env["OOD_ICL_PREFIX_STATS"] = str(stats)
        stats.unlink(missing_ok=True)
    load, start = os.getloadavg()[0], time.perf_counter()
    with open(out / f"{backend}.log", "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{backend} failed: see {out / (backend + '.log')}")
    row = {"backend": backend, "wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
           "peak_rss_mb": usage.ru_maxrss / 1024, "load_before": load, "load_after": os.getloadavg()[0]}
    if backend == "hf-prefix":
        calls = [json.loads(line) for line in stats.read_text().splitlines()]
        for key in ("requests", "hf_tokens", "trie_nodes", "tokens_run", "calls", "seconds"):
            row[key] = sum(c[key] for c in calls)
    return row


def summary(rows: list[dict]) -> str:
    hf, pfx = rows
    lines = [f"{'backend':10s} {'wall s':>8s} {'cpu s':>8s} {'peak RSS MB':>12s} {'tokens run':>11s}",
             f"{'hf':10s} {hf['wall_s']:8.1f} {hf['cpu_s']:8.1f} {hf['peak_rss_mb']:12.0f} {pfx['hf_tokens']:11,d}"
             f"   load avg {hf['load_before']:.1f} -> {hf['load_after']:.1f}",
             f"{'hf-prefix':10s} {pfx['wall_s']:8.1f} {pfx['cpu_s']:8.1f} {pfx['peak_rss_mb']:12.0f} "
             f"{pfx['tokens_run']:11,d}   load avg {pfx['load_before']:.1f} -> {pfx['load_after']:.1f}",
             f"speed-up: wall {hf['wall_s'] / pfx['wall_s']:.2f}x, cpu {hf['cpu_s'] / pfx['cpu_s']:.2f}x; "
             f"peak RSS ratio {pfx['peak_rss_mb'] / hf['peak_rss_mb']:.2f}",
             f"{pfx['requests']:,d} loglikelihood requests; trie floor (distinct prefix tokens) "
             f"{pfx['trie_nodes']:,d}; hf-prefix ran {pfx['tokens_run']:,d} "
             f"({pfx['tokens_run'] / pfx['trie_nodes']:.3f}x the floor) in {pfx['calls']:,d} forward calls, "
             f"{pfx['seconds']:.1f} s in its scorer; hf runs {pfx['hf_tokens'] / pfx['trie_nodes']:.2f}x the floor"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", default="ood_icl")
    parser.add_argument("--model", default=None, help="model folder (default: `ood-icl model`)")
    parser.add_argument("--dtype", default="bfloat16")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--out", type=Path, default=Path("/tmp/prefix_speed"))
    parser.add_argument("--threads", type=int, default=0, help="OMP_NUM_THREADS for both runs (0: torch's default)")
    parser.add_argument("--extra", default="", help="more lm_eval arguments, one string")
    args = parser.parse_args()
    args.model = args.model or default_model()
    args.out.mkdir(parents=True, exist_ok=True)
    rows = [run_backend(backend, args, args.out) for backend in ("hf", "hf-prefix")]
    (args.out / "speed.json").write_text(json.dumps(rows, indent=1))
    print(summary(rows))
    print(report(compare(args.out / "hf", args.out / "hf-prefix")))


if __name__ == "__main__":
    main()
