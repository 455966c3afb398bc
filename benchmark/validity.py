"""``ood-icl validity``: can every task be solved from its demonstrations, and only from them?

For every family x variant (the figures are generators.check's, with episode-level standard
errors): the ideal learner at k = 0, 1, 4, 16; the best shallow competitor at each k and whether
any beats the ideal; the copy baseline; the pairing control (every learner on the cell's exact control at k=16: the
outputs decoupled from the inputs where the cell has that control, else deranged; off the id
variants the rule-space search too; the column shows the checked learner farthest
from chance); the demo-blind heuristics; the share of ood episodes whose rule
is a familiar one renamed; distinct behaviours; and the prompt and answer lengths, in
characters and, with ``--tokenizer``, in tokens (the three variants of a family within 15%).
"""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path

from .generators import FAMILIES, VARIANTS
from .generators.check import VariantReport, check_variant, control_checked, failures
from .generators.learners import COPY_BASELINES, PAIRING_FREE
from .io import write_atomic

LENGTH_TOL = 0.15


def _one(job: tuple) -> tuple[str, VariantReport]:
    family, variant, seed, episodes, queries, difficulty = job
    return family, check_variant(family, variant, seed=seed, episodes=episodes, queries=queries,
                                 difficulty=difficulty)


def evaluate(families: list[str], *, seed: int, episodes: int, queries: int, difficulty: int,
             jobs: int = 1) -> dict[str, list[VariantReport]]:
    """family -> its variants' reports (in VARIANTS order); ``jobs`` processes."""
    work = [(f, v, seed, episodes, queries, difficulty) for f in families for v in VARIANTS]
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            done = list(pool.map(_one, work))
    else:
        done = [_one(w) for w in work]
    out: dict[str, list[VariantReport]] = {}
    for family, rep in done:
        out.setdefault(family, []).append(rep)
    return out


def token_lengths(reports: dict[str, list[VariantReport]], tokenizer_path: str, *, seed: int,
                  difficulty: int, n: int = 50) -> dict[tuple[str, str], tuple[float, float]]:
    """(family, variant) -> mean tokens of the k=16 prompt and of the gold answer (first n episodes)."""
    from transformers import AutoTokenizer

    from .dataset import BuildSpec, rows
    from .generators import render_prompt

    tok = AutoTokenizer.from_pretrained(tokenizer_path)
    out = {}
    for family in reports:
        for variant in VARIANTS:
            rs = list(rows(BuildSpec(family, variant, seed=seed, difficulty=difficulty, episodes=n)))
            prompts = [len(tok(render_prompt(r["demos"][:16], r["query"]))["input_ids"]) for r in rs]
            answers = [len(tok(" " + r["answer"], add_special_tokens=False)["input_ids"]) for r in rs]
            out[(family, variant)] = (sum(prompts) / len(prompts), sum(answers) / len(answers))
    return out


def length_failures(lengths: dict[tuple[str, str], tuple[float, float]]) -> list[str]:
    bad = []
    for family in sorted({f for f, _ in lengths}):
        for i, what in enumerate(("prompt", "answer")):
            vals = {v: lengths[(family, v)][i] for v in VARIANTS}
            ref = vals["ood"]
            for v, x in vals.items():
                if abs(x - ref) > LENGTH_TOL * ref:
                    bad.append(f"{family}_{v}: {what} {x:.1f} tokens vs ood {ref:.1f} (> {LENGTH_TOL:.0%} apart)")
    return bad


def markdown(reports: dict[str, list[VariantReport]], lengths: dict | None = None) -> str:
    head = ("| task | chance | ideal k=0 / 1 / 4 / 16 | best competitor k=1 / 4 / 16 | copy baseline k=16 "
            "| control: farthest from chance | familiar share | log10 behaviours | prompt / answer |\n"
            "|---|---|---|---|---|---|---|---|---|")
    lines = [head]
    for family, reps in reports.items():
        for r in reps:
            ideal = " / ".join(f"{r.ideal[k][0]:.3f}" for k in (0, 1, 4, 16))
            best = " / ".join("{} {:.3f}".format(*_best(r, k)) for k in (1, 4, 16))
            copy = r.learners[16].get(COPY_BASELINES.get(family, ""), (float("nan"),))[0]
            name, (m, se) = max(((n, r.control[n]) for n in control_checked(r) or PAIRING_FREE),
                                key=lambda kv: abs(kv[1][0] - r.chance))
            size = (f"{lengths[(family, r.variant)][0]:.0f} / {lengths[(family, r.variant)][1]:.1f} tok"
                    if lengths else f"{r.prompt_chars:.0f} / {r.answer_chars:.1f} ch")
            lines.append(f"| {family}_{r.variant} | {r.chance:.3f} | {ideal} | {best} | "
                         f"{COPY_BASELINES.get(family, '-')} {copy:.3f} | {r.control_kind}: {name} {m:.3f} ± {1.96 * se:.3f} | "
                         f"{r.familiar_share:.3f} | {r.log10_behaviours:.1f} | {size} |")
    return "\n".join(lines)


def _best(r: VariantReport, k: int) -> tuple[str, float]:
    name, (m, _) = max(r.learners[k].items(), key=lambda kv: kv[1][0])
    return name, m


def run_validity(families: list[str] | None, *, seed: int, episodes: int, queries: int, difficulty: int,
                 out: Path | None, jobs: int = 1, tokenizer: str | None = None) -> tuple[str, list[str]]:
    reports = evaluate(families or sorted(FAMILIES), seed=seed, episodes=episodes, queries=queries,
                       difficulty=difficulty, jobs=jobs)
    lengths = token_lengths(reports, tokenizer, seed=seed, difficulty=difficulty) if tokenizer else None
    text = markdown(reports, lengths)
    problems = [f"{f}: {b}" for f, reps in reports.items() for r in reps for b in failures(r)]
    problems += length_failures(lengths) if lengths else []
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        write_atomic(out / "validity.md", text + "\n")
        blob = {"seed": seed, "episodes": episodes, "queries": queries, "difficulty": difficulty,
                "reports": {f: [asdict(r) for r in reps] for f, reps in reports.items()},
                "tokens": {f"{f}_{v}": list(x) for (f, v), x in (lengths or {}).items()},
                "problems": problems}
        write_atomic(out / "validity.json", json.dumps(blob, indent=1) + "\n")
    return text, problems
