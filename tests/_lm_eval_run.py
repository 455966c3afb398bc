"""One way for the tests to run lm-eval's real CLI (or ood-icl's wrapper of it) on a model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

TASK_DIR = Path(__file__).resolve().parent.parent / "task_yaml"
LM_EVAL = (str(Path(sys.executable).with_name("lm_eval")),)  # lm-eval's own console script
OOD_ICL_EVAL = (sys.executable, "-m", "ood_icl.harness.prefix")  # the same CLI with hf-prefix registered


def run_lm_eval(model: Path, tasks: str, out: Path, *extra: str, cli=LM_EVAL, backend: str = "hf",
                model_args: str = "", batch_size: int = 8) -> dict:
    """Run float32 on the CPU with --log_samples into ``out`` (its log: ``out/lm_eval.log``); return the
    results JSON."""
    cmd = [*cli, "--model", backend, "--model_args", f"pretrained={model},dtype=float32{model_args}",
           "--tasks", tasks, "--include_path", str(TASK_DIR), "--device", "cpu", "--batch_size", str(batch_size),
           "--output_path", str(out), "--log_samples", *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, HF_HUB_OFFLINE="1"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    (out / "lm_eval.log").write_text(proc.stderr)
    (results,) = out.rglob("results_*.json")
    return json.loads(results.read_text())
