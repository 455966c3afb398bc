"""What verification finds: the problems, the verified tasks' per-doc scores, the run's identity."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..suite import TaskName


@dataclass(frozen=True)
class Leaf:
    """One leaf task of a run: what its name says, and the official config it must match
    (None for the fine-tuning baseline's tasks, checked by shape)."""

    task: TaskName
    official: dict | None


@dataclass(frozen=True)
class Problem:
    code: str  # the reason, one word: doc-mismatch, limit-used, ...
    where: str  # file or task
    detail: str

    def __str__(self) -> str:
        return f"[{self.code}] {self.where}: {self.detail}"


@dataclass(frozen=True)
class TaskScores:
    """One verified leaf task: per-doc scores by doc_id, enough to rebuild every number."""

    name: str
    family: str
    variant: str
    k: int
    method: str  # icl (multiple choice), gen (generate_until) or ft (fine-tuned, k0 docs)
    scores: dict  # metric -> list of per-doc values (0.0 / 1.0), doc_id order
    task_hash: str
    version: float


@dataclass
class Verified:
    folder: Path
    kind: str  # "icl" or "ft"
    problems: list[Problem] = field(default_factory=list)
    tasks: dict[str, TaskScores] = field(default_factory=dict)
    seed: int | None = None
    sizes: dict = field(default_factory=dict)  # difficulty, episodes, queries
    model: dict = field(default_factory=dict)  # short strings describing the run
    method: dict = field(default_factory=dict)  # fine-tuning recipe, as recorded (strings/numbers)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, code: str, where: str, detail: str) -> None:
        self.problems.append(Problem(code, where, detail))
