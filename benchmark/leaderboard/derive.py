"""Records made from verified runs (``build_record``) and from the generators alone (``reference_records``)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from .. import __version__
from ..dataset import BuildSpec
from ..generators import FAMILIES, SUITE_VERSION, VARIANTS, GenerationError
from ..ideal import chance, copy_by_episode, ideal_by_episode
from ..suite import (DEFAULT_DIFFICULTY, DEFAULT_EPISODES, DEFAULT_POOL, DEFAULT_QUERIES, GENERATIVE, K0,
                     PUBLISHED_SEED, SHOTS, TASK_VERSION, parse_task, task_name)
from ..verify.result import Verified
from .record import FT_BUDGETS, Record, seed_commitment, slug

REFERENCE_NAMES = {"ideal": "Ideal learner", "copy": "Copy baseline", "chance": "Chance"}


def ideal_block(seed: int, sizes: dict, ks_by_cell: dict) -> dict:
    """family -> variant -> str(k) -> per-episode ideal accuracy (None where k cannot be generated)."""
    out: dict = {}
    for (family, variant), ks in sorted(ks_by_cell.items()):
        for k in sorted(ks):
            values = _ideal_values(family, variant, seed, sizes["difficulty"], sizes["episodes"], sizes["queries"], k)
            out.setdefault(family, {}).setdefault(variant, {})[str(k)] = None if values is None else list(values)
    return out


@lru_cache(maxsize=8192)
def _ideal_values(family: str, variant: str, seed: int, difficulty: int, episodes: int, queries: int,
                  k: int) -> tuple | None:
    """One cell's per-episode ideal accuracy, computed once per process (every record of a seed shares it)."""
    spec = BuildSpec(family, variant, seed=seed, difficulty=difficulty, episodes=episodes, queries=queries,
                     pool=max(DEFAULT_POOL, k))
    try:
        return tuple(round(x, 6) for x in ideal_by_episode(spec, k))
    except GenerationError:
        return None  # the input space is too small for a pool of k


def verified_series(v: Verified, ignored: list[str] | None = None) -> list[dict]:
    """The record's series of a verified run: per task, the correct bits of its docs in order.

    A record compares tasks of one size (the run's episodes x queries) and holds one series per
    family x variant x k x method.  The k0 floor's tasks hold more episodes (100) than the suite's (20),
    and a set's first n episodes do not depend on how many follow (``generators.distinct_episodes``),
    so their first docs are the k = 0 cell of the suite's own episodes: those are kept (the floor on the
    board, on the episodes of every other figure).  Any other task (the quick group's copies beside the
    suite's tasks, budgets outside ``FT_BUDGETS``) is left out, with its reason appended to ``ignored``.
    """
    ignored = [] if ignored is None else ignored
    n = v.sizes.get("episodes", 0) * v.sizes.get("queries", 0) if v.sizes else 0
    out, kept = [], {}
    order = sorted(v.tasks.items(), key=lambda item: (bool(getattr(parse_task(item[0]), "quick", False)), item[0]))
    for name, t in order:
        key = (t.family, t.variant, t.k, t.method)
        size = len(next(iter(t.scores.values()), []))
        scores = t.scores
        if t.k == K0 and t.method == "icl" and n and size > n and size % v.sizes["queries"] == 0:
            scores, size = {m: values[:n] for m, values in t.scores.items()}, n  # the suite's episodes come first
        if size != n:
            ignored.append(f"{name}: {size} docs, the run's tasks have {n} (a record compares tasks of one size)")
            continue
        if t.method == "ft" and t.k not in FT_BUDGETS:
            ignored.append(f"{name}: budget {t.k} is not one the board shows ({', '.join(map(str, FT_BUDGETS))})")
            continue
        if key in kept:
            ignored.append(f"{name}: the same family, variant and k as {kept[key]}")
            continue
        kept[key] = name
        metric = "exact_match" if t.method in GENERATIVE else "acc"
        item = {"task": name, "family": t.family, "variant": t.variant, "k": t.k, "method": t.method,
                "metric": metric, "correct": _bits(scores[metric]), "task_hash": t.task_hash}
        if "acc_norm" in scores:
            item["acc_norm"] = _bits(scores["acc_norm"])
        out.append(item)
    return out


def _bits(values: list) -> str:
    return "".join("1" if x == 1.0 else "0" for x in values)


def build_record(name: str, icl: Verified, ft: Verified | None = None, *, salt: str | None = None,
                 ignored: list[str] | None = None) -> Record:
    """The record of a verified submission (and its fine-tuning baseline).

    Self-reported (the run's seed in the open) unless ``salt`` is given: then a maintainers'
    rescoring, whose seed is sealed (only ``sha256(seed, salt)`` is kept, and nothing that depends on
    the seed: no ideal learner, no task hashes) until revealed (``rescore``).
    Tasks the record cannot hold are left out, their reasons appended to ``ignored``.
    """
    if not icl.ok or (ft is not None and not ft.ok):
        raise ValueError("only verified submissions make records")
    series = verified_series(icl, ignored) + (verified_series(ft, ignored) if ft else [])
    if not series:
        raise ValueError("the run holds no task a record can keep: " + "; ".join((ignored or [])[:3]))
    if salt:  # sealed: nothing that fingerprints the seed (task hashes, the ideal per episode) is kept
        series = [{k: v for k, v in s.items() if k != "task_hash"} for s in series]
    ks: dict = {}
    for s in series:
        ks.setdefault((s["family"], s["variant"]), set()).add(s["k"])
    return Record(
        name=name, slug=slug(name), kind="model", submitted=date.today().isoformat(), ood_icl_version=__version__,
        suite_version=SUITE_VERSION, task_version=TASK_VERSION,
        seed=None if salt else icl.seed, seed_sha256=seed_commitment(icl.seed, salt),
        private_seed=bool(salt), provenance="rescored" if salt else "self-reported", sizes=dict(icl.sizes),
        model=icl.model, finetune=({"model": ft.model, "method": ft.method} if ft else None),
        chance={f: chance(f) for f in sorted({s["family"] for s in series})},
        ideal={} if salt else ideal_block(icl.seed, icl.sizes, ks), series=series)


def reference_records(*, seed: int = PUBLISHED_SEED, episodes: int = DEFAULT_EPISODES,
                      queries: int = DEFAULT_QUERIES, extra_ks: tuple[int, ...] = (),
                      families: list[str] | None = None, kinds: tuple[str, ...] = tuple(REFERENCE_NAMES),
                      ideal: dict | None = None) -> list[Record]:
    """The reference entries (``kinds`` of REFERENCE_NAMES) for one seed, from the generators alone;
    ``ideal``: an ideal block already computed for these sizes and ks (a run's record), reused."""
    sizes = {"difficulty": DEFAULT_DIFFICULTY, "episodes": episodes, "queries": queries}
    families = sorted(families or FAMILIES)
    ks = sorted({K0, *SHOTS, *extra_ks})
    if ideal is None:
        ideal = ideal_block(seed, sizes, {(f, v): ks for f in families for v in VARIANTS})
    else:
        ks = sorted({int(k) for by_v in ideal.values() for by_k in by_v.values() for k in by_k})
    records = []
    for kind, title in ((kind, REFERENCE_NAMES[kind]) for kind in kinds):
        series = []
        for f in families:
            for v in VARIANTS:
                for k in ks:
                    values = _reference_values(kind, ideal, seed, sizes, f, v, k)
                    if values is not None:
                        series.append({"task": task_name(f, v, k), "family": f, "variant": v, "k": k,
                                       "method": "icl", "metric": "acc", "per_episode": values})
        if not series:
            continue  # no family here has this reference (e.g. no copy baseline)
        records.append(Record(
            name=title, slug=f"reference-{kind}", kind="reference", submitted=date.today().isoformat(),
            ood_icl_version=__version__, suite_version=SUITE_VERSION, task_version=TASK_VERSION, seed=seed,
            seed_sha256=seed_commitment(seed), private_seed=False, provenance="reference", sizes=sizes,
            model={}, finetune=None,
            chance={f: chance(f) for f in families}, ideal=ideal, series=series))
    return records


def _reference_values(kind: str, ideal: dict, seed: int, sizes: dict, family: str, variant: str, k: int):
    if kind == "ideal":
        return ideal[family][variant][str(k)]
    if kind == "copy":
        spec = BuildSpec(family, variant, seed=seed, difficulty=sizes["difficulty"], episodes=sizes["episodes"],
                         queries=sizes["queries"])
        values = copy_by_episode(spec, k)
        return None if values is None else [round(x, 6) for x in values]
    return [chance(family)] * sizes["episodes"]
