"""What a fine-tuning run is: its configuration, its cells and budgets, and the episodes it trains on."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from .. import __version__
from ..dataset import BuildSpec, episodes
from ..generators import FAMILIES, SUITE_VERSION, VARIANTS, GenerationError, did_you_mean
from ..io import DataError, read_json
from ..suite import (DEFAULT_DIFFICULTY, DEFAULT_EPISODES, DEFAULT_POOL, DEFAULT_QUERIES, K0_GROUP, PUBLISHED_SEED,
                     SUITE_GROUP, cell_name, family_group, parse_task, variant_group)
from .recipe import DEFAULT_BUDGETS, FINETUNE_VERSION, LORA, METHODS, TRAIN_SEED, Recipe, recipe_for
from .state import differing_keys

MAX_RECIPES_BYTES = 1 << 20


@dataclass(frozen=True)
class FinetuneConfig:
    """Everything that determines a fine-tuning run's results (filled from the CLI)."""

    model: str
    cells: tuple[tuple[str, str], ...]  # (family, variant)
    budgets: tuple[int, ...] = DEFAULT_BUDGETS
    method: str = "lora"
    seed: int = PUBLISHED_SEED  # the data seed
    train_seed: int = TRAIN_SEED
    episodes: int = DEFAULT_EPISODES
    queries: int = DEFAULT_QUERIES
    difficulty: int = DEFAULT_DIFFICULTY
    device: str = "cpu"
    dtype: str = "float32"  # the CLI's default: float32 on cpu, bfloat16 on cuda (learner.default_dtype)
    gguf_file: str | None = None
    threads: int = 1  # torch CPU threads per process: float reductions, hence the last bits, depend on it
    recipes: tuple[tuple[int, Recipe], ...] = field(default=())  # filled from RECIPES when empty

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method={self.method!r}: must be one of {', '.join(METHODS)}")
        if not self.cells or not self.budgets:
            raise ValueError("need at least one task and one budget")
        if any(b < 0 for b in self.budgets):
            raise ValueError(f"budgets={self.budgets}: must be non-negative")
        if not self.recipes:
            object.__setattr__(self, "recipes", tuple((b, recipe_for(self.method, b)) for b in self.budgets if b))

    @property
    def pool(self) -> int:
        return max(max(self.budgets), DEFAULT_POOL)

    def recipe(self, budget: int) -> Recipe | None:
        """The recipe of a budget (None for budget 0: no training, the ``_k0`` task through this scorer)."""
        return dict(self.recipes).get(budget)

    def record(self) -> dict:
        """The JSON-able identity of the run (run.json, and results' ``config``)."""
        out = asdict(self)
        out["seeds"] = {"data": out.pop("seed"), "train": out.pop("train_seed")}
        out["cells"] = [list(c) for c in self.cells]
        out["budgets"] = list(self.budgets)
        out["recipes"] = {str(b): asdict(r) for b, r in self.recipes}
        out["lora"] = asdict(LORA) if self.method == "lora" else None
        out.update(finetune_version=FINETUNE_VERSION, suite_version=SUITE_VERSION, ood_icl_version=__version__)
        return out

    @classmethod
    def from_record(cls, record: dict, **changes) -> "FinetuneConfig":
        """The config whose ``record()`` is ``record`` (a run.json's), then ``changes`` applied; ValueError
        when the record is malformed or this checkout would record it otherwise (another protocol,
        suite or package version: it could not reproduce that run)."""
        try:
            config = cls(model=record["model"], cells=tuple(tuple(c) for c in record["cells"]),
                         budgets=tuple(record["budgets"]), method=record["method"], seed=record["seeds"]["data"],
                         train_seed=record["seeds"]["train"], episodes=record["episodes"], queries=record["queries"],
                         difficulty=record["difficulty"], device=record["device"], dtype=record["dtype"],
                         gguf_file=record["gguf_file"], threads=record["threads"],
                         recipes=tuple(sorted((int(b), Recipe(**r)) for b, r in record["recipes"].items())))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"not a fine-tuning run's config ({type(exc).__name__}: {exc})") from None
        if config.record() != record:
            raise ValueError("this checkout records the run differently: "
                             + ", ".join(differing_keys(config.record(), record)))
        return replace(config, **changes)


def _known_names() -> dict[str, list[tuple[str, str]]]:
    """Every name ``--tasks`` takes (groups, families, cells) -> its (family, variant) cells."""
    fams = sorted(FAMILIES)
    every = [(f, v) for f in fams for v in VARIANTS]
    names: dict[str, list[tuple[str, str]]] = {SUITE_GROUP: every, K0_GROUP: every}
    for v in VARIANTS:
        names[variant_group(v)] = [(f, v) for f in fams]
    for f in fams:
        names[family_group(f)] = names[f] = [(f, v) for v in VARIANTS]
        for v in VARIANTS:
            names[family_group(cell_name(f, v))] = names[cell_name(f, v)] = [(f, v)]
    return names


def resolve_tasks(text: str) -> tuple[tuple[str, str], ...]:
    """Comma-separated family_variant names or suite group/leaf names -> (family, variant) cells.

    Leaf names (``ood_icl_cipher_ood_k4``, ``..._ft16``) name their cell.
    """
    known = _known_names()
    cells: list[tuple[str, str]] = []
    for name in (t.strip() for t in text.split(",")):
        if not name:
            continue
        leaf = parse_task(name)
        base = cell_name(leaf.family, leaf.variant) if leaf is not None else name
        if base not in known:
            raise did_you_mean("task", name, sorted(known))
        cells += [c for c in known[base] if c not in cells]
    if not cells:
        raise ValueError(f"--tasks {text!r}: names no task")
    return tuple(cells)


def parse_budgets(text: str) -> tuple[int, ...]:
    try:
        budgets = sorted({int(t) for t in text.replace(",", " ").split()})
    except ValueError:
        raise ValueError(f"--budgets {text!r}: must be comma-separated integers") from None
    if not budgets or budgets[0] < 0:
        raise ValueError(f"--budgets {text!r}: must be non-negative integers")
    return tuple(budgets)


def cell_episodes(config: FinetuneConfig, family: str, variant: str) -> list:
    """The task's episodes with a pool of ``config.pool`` demos, checked against the published pool:
    the first 16 demos and the queries must be the ones the lm-eval tasks show."""
    def build(pool: int) -> list:
        return list(episodes(BuildSpec(family, variant, seed=config.seed, difficulty=config.difficulty,
                                       episodes=config.episodes, queries=config.queries, pool=pool)))

    try:
        eps = build(config.pool)
    except GenerationError as exc:
        raise ValueError(f"--budgets {max(config.budgets)}: {family}_{variant} cannot supply that many "
                         f"demonstrations ({exc})") from None
    if config.pool > DEFAULT_POOL:
        for ep, small in zip(eps, build(DEFAULT_POOL)):
            if ep.demos[:DEFAULT_POOL] != small.demos or ep.queries != small.queries:
                raise RuntimeError(f"{family}_{variant} episode {ep.index}: a pool of {config.pool} does not "
                                   f"extend the published pool of {DEFAULT_POOL}")
    return eps


def load_recipes(path: Path, method: str, budgets: tuple[int, ...]) -> tuple[tuple[int, Recipe], ...]:
    """The ``chosen`` recipes of a sweep record (JSON data, size-limited), one per trained budget."""
    try:
        record = read_json(path, MAX_RECIPES_BYTES)
        if record.get("method") != method:
            raise ValueError(f"a sweep of method {record.get('method')!r}, not {method!r}")
        chosen = record["chosen"]
        out = []
        for b in (b for b in budgets if b):
            if str(b) not in chosen:
                raise ValueError(f"no recipe for budget {b} (it has {', '.join(sorted(chosen, key=int))})")
            out.append((b, Recipe(**chosen[str(b)])))  # the record is asdict(Recipe): Recipe validates it
        return tuple(out)
    except (DataError, KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ValueError(f"--recipes {path}: {exc}") from None
