"""``ood-icl finetune --device cuda`` on the tiny model.  Skipped where torch sees no GPU (CI has
none); run it on a GPU machine with ``python -m pytest tests/test_finetune_cuda.py``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _finetune_helpers import run_killed_after

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

from ood_icl.finetune.cli import main  # noqa: E402
from ood_icl.finetune.config import FinetuneConfig  # noqa: E402
from ood_icl.finetune.run import finetune_tasks  # noqa: E402
from ood_icl.finetune.state import final_files  # noqa: E402

CELLS = (("cipher", "ood"), ("label_map", "id"))


def _run(model: Path, out: Path, method: str, device: str, dtype: str = "float32") -> dict:
    config = FinetuneConfig(model=str(model), cells=CELLS, budgets=(0, 1, 4), episodes=2, method=method,
                            device=device, dtype=dtype)
    return json.loads(finetune_tasks(config, out, progress=False).read_text())


def _loglikelihoods(out: Path) -> dict:
    lls = {}
    for path in sorted(out.rglob("samples_*.jsonl")):
        for line in path.read_text().splitlines():
            s = json.loads(line)
            lls[(path.name.rsplit("_", 1)[0], s["doc_id"])] = [float(r[0]) for r in s["filtered_resps"]]
    return lls


@pytest.mark.parametrize("method", ["lora", "full"])
def test_a_cuda_run_agrees_with_the_cpu_run(tiny_model, tmp_path, method):
    """Same data, same recipes, float32: the train losses and every choice's log-likelihood agree
    up to float noise (the kernels differ, so bits may not)."""
    cpu = _run(tiny_model, tmp_path / "cpu", method, "cpu")
    gpu = _run(tiny_model, tmp_path / "gpu", method, "cuda")
    assert gpu["config"]["device"] == "cuda" and cpu["config"]["device"] == "cpu"
    for task, log in cpu["train"].items():
        if log is None:
            assert gpu["train"][task] is None
            continue
        for (b_cpu, a_cpu), (b_gpu, a_gpu) in zip(log["episodes"], gpu["train"][task]["episodes"]):
            assert b_gpu == pytest.approx(b_cpu, rel=1e-4) and a_gpu == pytest.approx(a_cpu, rel=1e-3, abs=1e-3)
            assert a_gpu < b_gpu
    a, b = _loglikelihoods(tmp_path / "cpu"), _loglikelihoods(tmp_path / "gpu")
    assert a.keys() == b.keys() and len(a) == 60
    for key in a:
        assert b[key] == pytest.approx(a[key], abs=2e-3), key


@pytest.mark.parametrize("method", ["lora", "full"])
def test_bfloat16_on_cuda_learns(tiny_model, tmp_path, method):
    res = _run(tiny_model, tmp_path, method, "cuda", dtype="bfloat16")
    assert res["config"]["dtype"] == "bfloat16"
    logs = [log for log in res["train"].values() if log is not None]
    assert logs and all(a < b for log in logs for b, a in log["episodes"])


def test_a_killed_cuda_run_resumes_to_identical_files(tiny_model, tmp_path):
    """SIGKILL after 5 of 12 unit files, then the same command again: byte-identical to an
    uninterrupted run on the same GPU (deterministic kernels, finetune.learner.deterministic_cuda)."""
    args = ["--model", str(tiny_model), "--tasks", "cipher_ood,label_map_id", "--budgets", "0,1,4",
            "--episodes", "2", "--device", "cuda", "--quiet"]
    assert main(args + ["--output-path", str(tmp_path / "whole")]) == 0
    resumed = args + ["--output-path", str(tmp_path / "killed")]
    proc = run_killed_after(5, resumed)
    assert proc.returncode == -9, proc.stderr[-2000:]
    assert main(resumed) == 0
    whole, killed = final_files(tmp_path / "whole"), final_files(tmp_path / "killed")
    assert len(whole) == 7 and killed == whole
