"""Two lm_eval output folders (--log_samples) compared request by request.

    python -m ood_icl.harness.prefix_compare RUN_A RUN_B

Used to check hf-prefix against hf: the largest |Δ log-likelihood| over every (doc, choice)
request, how many `is_greedy` flags differ, and per task the acc difference and how often the
two runs pick the same choice (argmax agreement).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path


def load_samples(run: Path) -> dict[str, dict[int, dict]]:
    """{task: {doc_id: sample}} from every samples_*.jsonl under `run` (one run per folder)."""
    out: dict[str, dict[int, dict]] = {}
    for path in sorted(Path(run).rglob("samples_*.jsonl")):
        task = path.name.removeprefix("samples_").rsplit("_", 1)[0]
        docs = out.setdefault(task, {})
        for line in path.read_text().splitlines():
            sample = json.loads(line)
            docs[sample["doc_id"]] = sample
    return out


def _responses(sample: dict) -> list[tuple[float, bool]]:
    """(log-likelihood, is_greedy) per choice; lm_eval writes both as strings."""
    return [(float(ll), str(greedy) == "True") for ll, greedy in (r[0] for r in sample["resps"])]


@dataclass
class TaskDiff:
    docs: int = 0
    requests: int = 0
    max_abs: float = 0.0
    greedy_diff: int = 0
    same_argmax: int = 0
    acc_a: float = 0.0
    acc_b: float = 0.0


@dataclass
class Comparison:
    tasks: dict[str, TaskDiff] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return sum(t.requests for t in self.tasks.values())

    @property
    def max_abs(self) -> float:
        return max((t.max_abs for t in self.tasks.values()), default=0.0)

    @property
    def greedy_diff(self) -> int:
        return sum(t.greedy_diff for t in self.tasks.values())

    @property
    def argmax_agreement(self) -> float:
        docs = sum(t.docs for t in self.tasks.values())
        return sum(t.same_argmax for t in self.tasks.values()) / max(docs, 1)


def _argmax(values: list[float]) -> int:
    return max(range(len(values)), key=lambda i: (values[i], -i))


def compare(run_a: Path, run_b: Path) -> Comparison:
    """Every logged request of run_a against the same one in run_b (same tasks and docs required)."""
    a, b = load_samples(run_a), load_samples(run_b)
    if a.keys() != b.keys():
        raise ValueError(f"different tasks: {sorted(a.keys() ^ b.keys())}")
    result = Comparison()
    for task in sorted(a):
        if a[task].keys() != b[task].keys():
            raise ValueError(f"{task}: different docs")
        diff = result.tasks.setdefault(task, TaskDiff())
        for doc_id, sample in a[task].items():
            ra, rb = _responses(sample), _responses(b[task][doc_id])
            diff.docs += 1
            diff.requests += len(ra)
            diff.max_abs = max([diff.max_abs] + [abs(x[0] - y[0]) for x, y in zip(ra, rb, strict=True)])
            diff.greedy_diff += sum(x[1] != y[1] for x, y in zip(ra, rb, strict=True))
            diff.same_argmax += _argmax([x[0] for x in ra]) == _argmax([y[0] for y in rb])
            diff.acc_a += sample["acc"]
            diff.acc_b += b[task][doc_id]["acc"]
        diff.acc_a /= diff.docs
        diff.acc_b /= diff.docs
    return result


def report(comp: Comparison) -> str:
    lines = [f"{'task':40s} {'docs':>5s} {'acc A':>7s} {'acc B':>7s} {'Δacc':>7s} {'argmax=':>8s} {'max|Δll|':>10s}"]
    for task, t in comp.tasks.items():
        lines.append(f"{task:40s} {t.docs:5d} {t.acc_a:7.3f} {t.acc_b:7.3f} {t.acc_b - t.acc_a:+7.3f} "
                     f"{t.same_argmax / t.docs:8.3f} {t.max_abs:10.2e}")
    lines.append(f"{comp.requests} requests: max |Δ loglik| {comp.max_abs:.2e}, is_greedy differs on "
                 f"{comp.greedy_diff}, argmax agreement {comp.argmax_agreement:.4f}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(compare(Path(sys.argv[1]), Path(sys.argv[2]))))
