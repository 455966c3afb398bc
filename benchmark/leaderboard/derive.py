"""Records made from verified runs (``build_record``) and from the generators alone (``reference_records``)."""

from __future__ import annotations

from datetime import date

from .. import __version__
from ..dataset import BuildSpec
from ..generators import FAMILIES, SUITE_VERSION, VARIANTS, GenerationError
from ..ideal import chance, copy_by_episode, ideal_by_episode
from ..suite import (DEFAULT_DIFFICULTY, DEFAULT_EPISODES, DEFAULT_POOL, DEFAULT_QUERIES, K0, PUBLISHED_SEED, SHOTS,
                     TASK_VERSION, task_name)
from ..verify.result import Verified
from .record import Record, seed_commitment, slug

REFERENCE_NAMES = {"ideal": "Ideal learner", "copy": "Copy baseline", "chance": "Chance"}


def ideal_block(seed: int, sizes: dict, ks_by_cell: dict) -> dict:
    """family -> variant -> str(k) -> per-episode ideal accuracy (None where k cannot be generated)."""
    out: dict = {}
    for (family, variant), ks in sorted(ks_by_cell.items()):
        for k in sorted(ks):
            spec = BuildSpec(family, variant, seed=seed, difficulty=sizes["difficulty"],
                             episodes=sizes["episodes"], queries=sizes["queries"], pool=max(DEFAULT_POOL, k))
            try:
                values = [round(x, 6) for x in ideal_by_episode(spec, k)]
            except GenerationError:
                values = None  # the input space is too small for a pool of k
            out.setdefault(family, {}).setdefault(variant, {})[str(k)] = values
    return out


def verified_series(v: Verified) -> list[dict]:
    """The record's series of a verified run: per task, the correct bits of its docs in order."""
    out = []
    for name, t in sorted(v.tasks.items()):
        metric = "exact_match" if t.method == "gen" else "acc"
        item = {"task": name, "family": t.family, "variant": t.variant, "k": t.k, "method": t.method,
                "metric": metric, "correct": _bits(t.scores[metric]), "task_hash": t.task_hash}
        if "acc_norm" in t.scores:
            item["acc_norm"] = _bits(t.scores["acc_norm"])
        out.append(item)
    return out


def _bits(values: list) -> str:
    return "".join("1" if x == 1.0 else "0" for x in values)


def build_record(name: str, icl: Verified, ft: Verified | None = None, *, private_seed: bool = False) -> Record:
    """The record of a verified submission (and its fine-tuning baseline)."""
    if not icl.ok or (ft is not None and not ft.ok):
        raise ValueError("only verified submissions make records")
    series = verified_series(icl) + (verified_series(ft) if ft else [])
    ks: dict = {}
    for s in series:
        ks.setdefault((s["family"], s["variant"]), set()).add(s["k"])
    return Record(
        name=name, slug=slug(name), kind="model", submitted=date.today().isoformat(), ood_icl_version=__version__,
        suite_version=SUITE_VERSION, task_version=TASK_VERSION,
        seed=None if private_seed else icl.seed, seed_sha256=seed_commitment(icl.seed),
        private_seed=private_seed, sizes=dict(icl.sizes),
        model=icl.model, finetune=({"model": ft.model, "method": ft.method} if ft else None),
        chance={f: chance(f) for f in sorted({s["family"] for s in series})},
        ideal=ideal_block(icl.seed, icl.sizes, ks), series=series)


def reference_records(*, seed: int = PUBLISHED_SEED, episodes: int = DEFAULT_EPISODES,
                      queries: int = DEFAULT_QUERIES, extra_ks: tuple[int, ...] = (),
                      families: list[str] | None = None) -> list[Record]:
    """The ideal-learner and chance entries for one seed, from the generators alone."""
    sizes = {"difficulty": DEFAULT_DIFFICULTY, "episodes": episodes, "queries": queries}
    families = sorted(families or FAMILIES)
    ks = sorted({K0, *SHOTS, *extra_ks})
    ideal = ideal_block(seed, sizes, {(f, v): ks for f in families for v in VARIANTS})
    records = []
    for kind, title in REFERENCE_NAMES.items():
        series = []
        for f in families:
            for v in VARIANTS:
                for k in ks:
                    values = _reference_values(kind, ideal, seed, sizes, f, v, k)
                    if values is not None:
                        series.append({"task": task_name(f, v, k), "family": f, "variant": v, "k": k,
                                       "method": "icl", "metric": "acc", "per_episode": values})
        records.append(Record(
            name=title, slug=f"reference-{kind}", kind="reference", submitted=date.today().isoformat(),
            ood_icl_version=__version__, suite_version=SUITE_VERSION, task_version=TASK_VERSION, seed=seed,
            seed_sha256=seed_commitment(seed), private_seed=False, sizes=sizes, model={}, finetune=None,
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
