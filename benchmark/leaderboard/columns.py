"""The summary columns, shared by the Markdown table and the HTML page."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from ..finetune.recipe import DEFAULT_BUDGETS, FINETUNE_VERSION
from ..io import is_number
from ..suite import OFFICIAL_SIZES, PUBLISHED_SEED, TASK_VERSION
from .rederive import lacks
from .record import Record
from .stats import EXCHANGE_SHOTS, NA, Estimate, Stats


@dataclass(frozen=True)
class Entry:
    record: Record
    stats: Stats


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    help: str
    cell: Callable[[Entry], tuple[float | str, str]]  # -> (sort value, text)
    numeric: bool = True


def fmt(e: Estimate, digits: int = 2, signed: bool = False) -> str:
    if not e.ok:
        return "—"
    spec = f"{'+' if signed else ''}.{digits}f"

    def one(x: float) -> str:  # no "-0.00": a value that rounds to zero prints as zero
        return f"{(0.0 if round(x, digits) == 0 else x):{spec}}"

    return f"{one(e.value)} [{one(e.lo)}, {one(e.hi)}]"


def fmt_budget(e: Estimate, budgets: tuple) -> str:
    """Example equivalence: censored ends shown as <first / >last budget."""
    if not e.ok or not budgets:
        return "—"

    def one(x: float) -> str:
        if x < budgets[0] * 0.999:
            return f"<{budgets[0]}"
        if x > budgets[-1] * 1.001:
            return f">{budgets[-1]}"
        return f"{x:.0f}" if x >= 10 else f"{x:.1f}"

    return f"{e.note or one(e.value)} [{one(e.lo)}, {one(e.hi)}]"


def _num(e: Estimate) -> float:
    return e.value if e.ok else math.nan


FT_BUDGETS_TEXT = ", ".join(map(str, DEFAULT_BUDGETS))
"""The protocol's budgets as the board's explanations name them."""


def ft_missing(budgets: tuple) -> tuple:
    """The protocol's budgets (``finetune.recipe.DEFAULT_BUDGETS``) a variant's fine-tuning lacks: a
    half cut to the budgets that favour it would move ICL - FT and the exchange rates, so figures
    are shown only over all of them (extra budgets may add points to the curve)."""
    return tuple(b for b in DEFAULT_BUDGETS if b not in budgets)


def ft_lacks(stats: Stats) -> list[str]:
    """What keeps a record's fine-tuning figures off the board, per variant that has fine-tuning."""
    out = []
    for v in sorted({v for _, v in stats.family_budgets}):
        if v not in stats.budgets:
            out.append(f"{v} (not every family at the same budgets)")
        elif missing := ft_missing(stats.budgets[v]):
            out.append(f"{v} (budgets {', '.join(map(str, missing))} missing)")
    return out


def _ood_ft(e: Entry, est: Estimate) -> Estimate:
    """An ood fine-tuning figure of the main table, or NA when the half lacks the protocol's budgets."""
    budgets = e.stats.budgets.get("ood", ())
    return est if budgets and not ft_missing(budgets) else NA


def seed_label(record: Record) -> str:
    """Provenance: ``self-reported`` (a consistent run on a seed the submitter knew) unless a maintainer
    rescored it on a seed sealed by a commitment; only such a seed is ever called sealed or private."""
    if record.kind == "reference":
        return "reference"
    seed = "published seed" if record.seed == PUBLISHED_SEED else f"seed {record.seed}"
    if record.provenance == "rescored":
        return "rescored, seed sealed" if record.sealed else f"rescored, {seed} revealed"
    return f"self-reported, {seed}"


def notes(entry: Entry) -> list[str]:
    """Why a row is not directly comparable with the others."""
    r, out = entry.record, []
    if r.task_version != TASK_VERSION:
        out.append(f"task version {r.task_version} (current {TASK_VERSION})")
    if r.sizes != OFFICIAL_SIZES:
        s = r.sizes
        out.append(f"{s['episodes']} episodes x {s['queries']} queries, difficulty {s['difficulty']}")
    if entry.stats.floor.ok and entry.stats.floor.lo > 0 and r.kind != "reference":
        out.append("floor above chance with no demonstrations, where no method beats chance in expectation: check "
                   "the run (an honest one shows this about once in 40)")
    above = [v for v, g in entry.stats.gain.items() if g.ok and g.value > 1]
    if above and r.kind != "reference":
        out.append(f"gain above the ideal learner on {', '.join(above)}: only inflated scores or a broken ideal can do that")
    if r.sealed:
        out.append("seed sealed: the ideal learner and the gains appear once the maintainers reveal it")
    missing = lacks(r)
    if missing:
        out.append("partial, lacks " + "; ".join(missing))
    ft = ft_lacks(entry.stats)
    if ft:
        out.append("no fine-tuning figures for " + "; ".join(ft))
    version = (r.finetune or {}).get("method", {}).get("finetune_version")
    if r.finetune and version != FINETUNE_VERSION:
        out.append(f"fine-tuning version {version} (current {FINETUNE_VERSION})")
    return out


def _params(entry: Entry) -> tuple[float, str]:
    n = entry.record.model.get("num_parameters")
    if not is_number(n) or n <= 0:
        return math.nan, "—"
    for div, unit in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if n >= div:
            return float(n), f"{n / div:.3g}{unit}"
    return float(n), str(int(n))


COLUMNS = (
    Column("name", "Entry", "model or reference", lambda e: (e.record.name.lower(), e.record.name), False),
    Column("params", "Params", "parameters (from lm-eval)", _params),
    Column("gain_ood", "Gain (ood)", "(acc - chance) / (ideal - chance) on novel tasks, k = 1, 4, 16",
           lambda e: (_num(e.stats.gain.get("ood", NA)), fmt(e.stats.gain.get("ood", NA)))),
    Column("gain_id", "Gain (id)", "the same on the familiar twins",
           lambda e: (_num(e.stats.gain.get("id", NA)), fmt(e.stats.gain.get("id", NA)))),
    Column("gain_renamed", "Gain (renamed)", "the familiar rules in the novel surface (nonce symbols, words, labels)",
           lambda e: (_num(e.stats.gain.get("renamed", NA)), fmt(e.stats.gain.get("renamed", NA)))),
    Column("gap", "OOD gap", "gain(id) - gain(ood): what novelty costs",
           lambda e: (_num(e.stats.gap), fmt(e.stats.gap, signed=True))),
    Column("surface_gap", "Surface gap", "gain(id) - gain(renamed): what a new vocabulary costs",
           lambda e: (_num(e.stats.surface_gap), fmt(e.stats.surface_gap, signed=True))),
    Column("rule_gap", "Rule gap", "gain(renamed) - gain(ood): what a new rule costs",
           lambda e: (_num(e.stats.rule_gap), fmt(e.stats.rule_gap, signed=True))),
    Column("pairing_ood", "Pairing (ood)", "acc(k16) - acc(k16 control): learning from the input->output pairing (control: the demo "
           "outputs decoupled from their inputs, or deranged where the family has the pairing constraint; — when the "
           "record lacks one: run ood_icl_controls)",
           lambda e: (_num(e.stats.pairing.get("ood", NA)), fmt(e.stats.pairing.get("ood", NA), signed=True))),
    Column("outputs_ood", "Outputs alone (ood)", "acc(k16 control) - chance: what the outputs alone give",
           lambda e: (_num(e.stats.outputs_alone.get("ood", NA)), fmt(e.stats.outputs_alone.get("ood", NA), signed=True))),
    Column("icl_ft", "ICL − FT (ood)", "in-context minus fine-tuning accuracy at the same k (ood, mean over k)",
           lambda e: (_num(_ood_ft(e, e.stats.icl_minus_ft)), fmt(_ood_ft(e, e.stats.icl_minus_ft), signed=True))),
    *(Column(f"equiv_{k}", f"FT ≡ ICL@{k} (ood)", f"fine-tuning examples whose accuracy equals in-context accuracy "
             f"at k = {k} (ood; log-interpolated between budgets, <first / >last outside them)",
             lambda e, k=k: (_num(_ood_ft(e, e.stats.exchange.get(("ood", k), NA))),
                             fmt_budget(_ood_ft(e, e.stats.exchange.get(("ood", k), NA)), e.stats.budgets.get("ood", ()))))
      for k in EXCHANGE_SHOTS),
    Column("floor", "Floor (k=0)", "acc(k = 0) - chance over every family and variant: with no demonstrations no "
           "method beats chance in expectation (— when the record has no k = 0 task: run ood_icl_k0)",
           lambda e: (_num(e.stats.floor), fmt(e.stats.floor, signed=True))),
    Column("gen", "Gen EM", "exact match of the generation tasks", lambda e: (_num(e.stats.gen), fmt(e.stats.gen))),
    Column("chat", "Chat EM", "exact match of the chat tasks (ood_icl_chat: an instruction line, the model's chat "
           "template, the reply's first line)", lambda e: (_num(e.stats.chat), fmt(e.stats.chat))),
    Column("seed", "Provenance", "self-reported (a consistent run on a seed the submitter knew) or rescored by the "
           "maintainers on a sealed seed (commit, then reveal)",
           lambda e: (seed_label(e.record), seed_label(e.record)), False),
)


FT_TITLES = ("FT budgets", "ICL − FT", *(f"FT ≡ ICL@{k}" for k in EXCHANGE_SHOTS))
"""The per-variant (and per-family) detail of the fine-tuning comparison: the page and the README."""


def ft_cells(stats: Stats, variant: str, family: str | None = None) -> list[str]:
    """One variant's fine-tuning figures (FT_TITLES), for the record's family mean or for one family."""
    if family is None:
        budgets, diff = stats.budgets.get(variant, ()), stats.icl_ft.get(variant, NA)
        rates = [stats.exchange.get((variant, k), NA) for k in EXCHANGE_SHOTS]
    else:
        budgets, diff = stats.family_budgets.get((family, variant), ()), stats.family_icl_ft.get((family, variant), NA)
        rates = [stats.family_exchange.get((family, variant, k), NA) for k in EXCHANGE_SHOTS]
    missing = ft_missing(budgets)
    if budgets and missing:  # figures over a cut set of budgets are not comparable: say what is lacking
        return [f"{', '.join(map(str, budgets))} (lacks {', '.join(map(str, missing))})", "—", *("—" for _ in rates)]
    return [", ".join(map(str, budgets)) or "—", fmt(diff, signed=True), *(fmt_budget(r, budgets) for r in rates)]


def has_ft(stats: Stats) -> bool:
    return bool(stats.budgets or stats.family_budgets)


def sort_key(entry: Entry) -> tuple:
    """Default order: gain on novel tasks, best first; rows without it last."""
    g = _num(entry.stats.gain.get("ood", NA))
    return (0 if math.isfinite(g) else 1, -g if math.isfinite(g) else 0.0, entry.record.name.lower())
