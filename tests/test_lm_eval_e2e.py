"""The real lm_eval CLI over the suite, on a tiny random model built in the test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ood_icl.generators import FAMILIES, VARIANTS, get_family
from ood_icl.suite import QUICK_SHOTS, SHOTS, task_name

from _lm_eval_run import run_lm_eval as lm_eval


@pytest.fixture(scope="module")
def suite_run(tiny_model, tmp_path_factory):
    out = tmp_path_factory.mktemp("lm-eval")
    # 4 episodes per task keep the run short; the defaults are checked in the k0/quick test.
    return lm_eval(tiny_model, "ood_icl", out, "--metadata", '{"episodes": 4}'), out


def test_every_task_of_the_suite_is_in_the_results(suite_run):
    res, out = suite_run
    leaves = {task_name(f, v, k) for f in FAMILIES for v in VARIANTS for k in SHOTS}
    assert leaves <= set(res["results"])
    assert {"ood_icl"} | {f"ood_icl_{f}" for f in FAMILIES} <= set(res["results"])
    for task in leaves:
        assert res["n-samples"][task]["effective"] == 20
        assert 0.0 <= res["results"][task]["acc,none"] <= 1.0
        assert res["configs"][task]["metadata"]["seed"] == 2026
    logged = {p.name.split("_20")[0].removeprefix("samples_") for p in out.rglob("samples_*.jsonl")}
    assert leaves <= logged


def _doc_hashes(out: Path, task: str) -> dict[int, str]:
    (path,) = out.rglob(f"samples_{task}_*.jsonl")
    return {s["doc_id"]: s["doc_hash"] for s in map(json.loads, path.read_text().splitlines())}


def test_seed_metadata_gives_a_fresh_variant(tiny_model, tmp_path, suite_run):
    _, published_out = suite_run
    task = task_name("cipher", "ood", 4)
    fresh = lm_eval(tiny_model, task, tmp_path / "fresh", "--metadata", '{"seed": 1234}', "--limit", "5")
    lm_eval(tiny_model, task, tmp_path / "again", "--limit", "5", "--metadata", '{"episodes": 4}')
    assert fresh["configs"][task]["metadata"]["seed"] == 1234
    published = _doc_hashes(published_out, task)
    assert _doc_hashes(tmp_path / "again", task) == {i: published[i] for i in range(5)}
    assert not set(_doc_hashes(tmp_path / "fresh", task).values()) & set(published.values())


def test_k0_quick_and_generation_groups_run(tiny_model, tmp_path):
    res = lm_eval(tiny_model, "ood_icl_k0,ood_icl_quick,ood_icl_gen", tmp_path, "--limit", "2")
    for f in FAMILIES:
        for v in VARIANTS:
            assert res["n-samples"][task_name(f, v, 0)]["original"] == 500
            for k in QUICK_SHOTS:
                assert res["n-samples"][task_name(f, v, k, quick=True)]["original"] == 15
            for k in SHOTS:
                assert "exact_match,none" in res["results"][task_name(f, v, k, gen=True)]


def test_table_puts_each_task_beside_chance_and_the_ideal_learner(suite_run):
    from ood_icl.harness.report import results_table

    _, out = suite_run
    lines = results_table(out).splitlines()
    leaves = {task_name(f, v, k): f for f in sorted(FAMILIES) for v in VARIANTS for k in SHOTS}
    body = {line.split("|")[1].strip(): line for line in lines[2:]}
    assert set(body) == set(leaves)
    for task, line in body.items():
        cells = [c.strip() for c in line.split("|")[1:-1]]
        chance, ideal = float(cells[5]), float(cells[6])
        assert chance == round(1 / get_family(leaves[task]).n_choices, 3) and 0.0 <= ideal <= 1.0
        if task.endswith("_k16"):
            assert ideal >= 0.75, task
