"""The suite's facts, with one owner: versions, shots, sizes, group names, task names.

Every other module imports these; none rebuilds or re-parses a task name by hand.  A leaf
task's name is built by ``TaskName`` and read back by ``parse_task``, one pattern for all:

    ood_icl_[quick_]<family>_<variant>_k<k>[_<control>][_gen|_chat]   in-context (lm-eval)
    ood_icl_<family>_<variant>_ft<budget>                        the fine-tuning baseline

The variants come from the generators (``VARIANTS``); a control task of the largest shot
(``..._k16_shuffled``, ``..._k16_decoupled``) is one entry in ``CONTROLS`` (``controls_of``: which
cells have it).  Neither is hard-coded below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .generators import PAIRED_K, VARIANTS, get_family, has_decoupled_control

PUBLISHED_SEED = 2026
"""The seed of the published dataset and the lm-eval tasks' default."""
TASK_VERSION = 3.1
"""Bumped whenever any change can move a score (generators, prompt, choices, metrics)."""
SHOTS = (1, 4, 16)
"""The in-context shots of the default suite (``ood_icl``)."""
QUICK_SHOTS = (0, 4, 16)
K0 = 0
"""The shot of the validity floor (``ood_icl_k0``)."""
EPISODES = {"suite": 20, "k0": 100, "quick": 3}
"""Episodes per task (5 queries each). The suite: 100 queries from 20 episodes per cell. The k0
floor: 500 queries, so that chance +-5pp is 2.6 standard errors. The quick group: the README demo."""
DEFAULT_EPISODES = EPISODES["suite"]
DEFAULT_QUERIES = 5
DEFAULT_POOL = 16
"""Demonstrations per episode: enough for the largest shot."""
DEFAULT_DIFFICULTY = 2
OFFICIAL_SIZES = {"difficulty": DEFAULT_DIFFICULTY, "episodes": DEFAULT_EPISODES, "queries": DEFAULT_QUERIES}
CONTROLS: tuple[str, ...] = ("shuffled", "decoupled")
"""Control tasks at the largest shot, ``..._k16_<control>``: ``shuffled``, every cell (the k=16 docs
with the demos' outputs deranged among the demos; generators.control_permutation); ``decoupled``,
the renamed and ood cells without the pairing constraint (each demo input shown beside the gold's
output on a fresh input; generators.decoupled_demos).  ``exact_control`` says which one a cell's
pairing figures use."""
CONTROL_K = PAIRED_K
"""The shot of the control tasks: the demos the generators' pairing constraint covers."""

PREFIX = "ood_icl"
SUITE_GROUP = PREFIX
K0_GROUP = f"{PREFIX}_k0"
QUICK_GROUP = f"{PREFIX}_quick"
GEN_GROUP = f"{PREFIX}_gen"
CONTROLS_GROUP = f"{PREFIX}_controls"
CHAT_GROUP = f"{PREFIX}_chat"
METHODS = ("icl", "gen", "chat", "ft")
"""How a leaf task scores: multiple choice in context, generation in context, generation after an
instruction line (chat and API models, with --apply_chat_template), fine-tuned."""
GENERATIVE = ("gen", "chat")
"""The methods scored by exact match of a generated answer (the others: acc of multiple choice)."""
SERIES = METHODS + CONTROLS
"""What a record's series is: a method, or a control (multiple choice in context, demos altered)."""


def controls_of(family: str, variant: str) -> tuple[str, ...]:
    """The control tasks this cell has (an unknown family raises with the close matches)."""
    return tuple(c for c in CONTROLS if c != "decoupled" or has_decoupled_control(get_family(family), variant))


def exact_control(family: str, variant: str) -> str:
    """The control a cell's pairing figures use: ``decoupled`` where the cell has it (exact there:
    no learner beats chance), else ``shuffled`` (exact in the cells with the pairing constraint,
    approximate in the id variants; docs/validity.md)."""
    return "decoupled" if "decoupled" in controls_of(family, variant) else "shuffled"


def family_group(family: str) -> str:
    return f"{PREFIX}_{family}"


def variant_group(variant: str) -> str:
    return f"{PREFIX}_{variant}"


def cell_name(family: str, variant: str) -> str:
    """``<family>_<variant>``: a dataset config, a fine-tuning cell."""
    return f"{family}_{variant}"


@dataclass(frozen=True)
class TaskName:
    """One leaf task, as its name says it; ``str()`` builds the name."""

    family: str
    variant: str
    k: int  # shots in context, or the fine-tuning budget (method "ft")
    method: str = "icl"
    quick: bool = False
    control: str = ""

    @property
    def series(self) -> str:
        """The record series this task feeds: its control if it has one, else its method."""
        return self.control or self.method

    def __str__(self) -> str:
        if self.method == "ft":
            return f"{PREFIX}_{self.family}_{self.variant}_ft{self.k}"
        return (f"{PREFIX}_{'quick_' if self.quick else ''}{self.family}_{self.variant}_k{self.k}"
                + (f"_{self.control}" if self.control else "")
                + (f"_{self.method}" if self.method in GENERATIVE else ""))


def task_name(family: str, variant: str, k: int, gen: bool = False, quick: bool = False, control: str = "",
              method: str = "") -> str:
    """The in-context leaf task (``gen``: its generation twin; ``method="chat"``: its chat twin;
    ``quick``: the demo group's copy; ``control``: one of CONTROLS, at k = CONTROL_K)."""
    return str(TaskName(family, variant, k, method or ("gen" if gen else "icl"), quick, control))


def ft_task_name(family: str, variant: str, budget: int) -> str:
    """The fine-tuning baseline's task: the ``_k0`` docs after training on ``budget`` demos."""
    return str(TaskName(family, variant, budget, "ft"))


_NUMBER = "0|[1-9][0-9]{0,5}"
_NAME_RE = re.compile(
    rf"^{PREFIX}_(?P<quick>quick_)?(?P<family>[a-z0-9_]+)_(?P<variant>{'|'.join(map(re.escape, VARIANTS))})_"
    rf"(?:k(?P<k>{_NUMBER})(?:_(?P<control>{'|'.join(map(re.escape, CONTROLS)) or '(?!)'}))?(?:_(?P<gen>gen|chat))?"
    rf"|ft(?P<budget>{_NUMBER}))$")


def parse_task(name) -> TaskName | None:
    """The parts of a leaf task's name, or None when ``name`` is not one (the family is not checked)."""
    m = _NAME_RE.match(name) if isinstance(name, str) else None
    if m is None or (m["budget"] is not None and m["quick"]):
        return None
    if m["budget"] is not None:
        return TaskName(m["family"], m["variant"], int(m["budget"]), "ft")
    return TaskName(m["family"], m["variant"], int(m["k"]), m["gen"] or "icl", bool(m["quick"]), m["control"] or "")
