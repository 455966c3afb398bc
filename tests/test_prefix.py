"""hf-prefix gives lm-eval's hf numbers: the trie plan, then float32 runs on the tiny random model.

Whatever the generated data is, both backends score the same requests; every log-likelihood must
agree within 1e-4 and every is_greedy flag exactly, over tasks with k in {0, 1, 4, 16}.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from ood_icl.harness.prefix_compare import compare
from ood_icl.harness.prefix_trie import Drop, Run, Trie, add_request, plan

from _lm_eval_run import OOD_ICL_EVAL, TASK_DIR, run_lm_eval
TOL = 1e-4


def _tasks() -> list[str]:
    """Leaf multiple-choice tasks of one family for k = 0, 1, 4, 16 (names read from task_yaml)."""
    names = {p.stem for p in TASK_DIR.glob("ood_icl_*.yaml") if not p.stem.endswith("_gen")}
    for family in ("cipher", "list_fn", *sorted({n.split("_")[2] for n in names})):
        chosen = []
        for k in (0, 1, 4, 16):
            options = sorted(n for n in names if f"_{family}_" in n and n.endswith(f"_ood_k{k}"))
            chosen += options[:1]
        if len(chosen) == 4:
            return chosen
    pytest.skip("no family with k = 0, 1, 4 and 16 in task_yaml")


# --- the plan, on random tries (no model) ----------------------------------------------------

def _random_trie(rng: random.Random) -> tuple[Trie, list]:
    trie, scored = Trie(), []
    stems = [[rng.randrange(5) for _ in range(rng.randrange(1, 30))] for _ in range(4)]
    for _ in range(60):
        ctx = rng.choice(stems) + [rng.randrange(5) for _ in range(rng.randrange(0, 6))]
        cont = [rng.randrange(5) for _ in range(rng.randrange(1, 4))]
        scored.append(add_request(trie, ctx or [0], cont, max_length=24))
    return trie, scored


@pytest.mark.parametrize("budget", [1, 3, 16, 10_000])
def test_plan_runs_every_node_once_after_its_ancestors(budget):
    rng = random.Random(budget)
    for _ in range(20):
        trie, _ = _random_trie(rng)
        parent = {c: n for n in range(len(trie)) for c in trie.children[n].values()}
        path: list[int] = []  # the cached nodes, root first
        seen: set[int] = set()
        for step in plan(trie, budget):
            if isinstance(step, Drop):
                del path[len(path) - step.n:]
                continue
            assert isinstance(step, Run)
            assert step.keep or len(step.nodes) <= budget
            for i, node in enumerate(step.nodes):
                assert node not in seen
                above = parent.get(node)
                if above not in step.nodes[:i]:  # its parent must end the cached path
                    assert above == (path[-1] if path else None)
                    assert trie.depth[node] == len(path)  # its position id follows the cache
            seen.update(step.nodes)
            if step.keep:
                path += step.nodes
        assert seen == set(range(len(trie))) and not path


def test_add_request_truncates_like_hflm():
    trie = Trie()
    item = add_request(trie, list(range(10)), [20, 21], max_length=6)
    # HFLM: (ctx + cont)[-7:][:-1] = [5..9, 20]; the last two positions score 20 and 21.
    assert [trie.token[n] for n in item.nodes] == [9, 20] and item.targets == [20, 21]
    assert trie.depth[item.nodes[-1]] == 5


def test_memo_gives_the_same_scored_positions():
    rng = random.Random(7)
    def tokens(lo: int, hi: int) -> list[int]:
        return [rng.randrange(4) for _ in range(rng.randrange(lo, hi))]

    requests = [(tokens(0, 12), tokens(1, 4)) for _ in range(200)]
    plain, memoed, memo = Trie(), Trie(), {}
    for ctx, cont in requests:
        a, b = add_request(plain, ctx, cont, 10), add_request(memoed, ctx, cont, 10, memo)
        seen = [(memoed.token[n], memoed.depth[n]) for n in b.nodes]
        assert [(plain.token[n], plain.depth[n]) for n in a.nodes] == seen
        assert a.targets == b.targets
    assert len(plain) == len(memoed)


# --- the backend on the tiny model -------------------------------------------------------------

def _lm_eval(backend: str, model: Path, out: Path, model_args: str = "") -> dict:
    return run_lm_eval(model, ",".join(_tasks()), out, "--limit", "8", cli=OOD_ICL_EVAL, backend=backend,
                       model_args=model_args)


@pytest.fixture(scope="module")
def runs(tiny_model, tmp_path_factory):
    out = tmp_path_factory.mktemp("prefix")
    # A small budget makes the plan keep and crop chains as well as pack subtrees.
    hf = _lm_eval("hf", tiny_model, out / "hf")
    prefix = _lm_eval("hf-prefix", tiny_model, out / "hf-prefix", ",prefix_budget=48")
    return out, hf, prefix


def test_cli_matches_hf_request_by_request(runs):
    out, hf, prefix = runs
    comp = compare(out / "hf", out / "hf-prefix")
    assert set(comp.tasks) == set(_tasks())
    assert comp.requests >= 4 * 8 * 2
    assert comp.max_abs < TOL, comp.max_abs
    assert comp.greedy_diff == 0
    assert comp.argmax_agreement == 1.0


def test_cli_writes_lm_evals_own_results_schema(runs):
    _, hf, prefix = runs
    assert set(prefix) == set(hf)
    assert prefix["config"]["model"] == "hf-prefix" and hf["config"]["model"] == "hf"
    for task in _tasks():
        assert prefix["results"][task]["acc,none"] == hf["results"][task]["acc,none"]
        assert prefix["n-samples"][task] == hf["n-samples"][task]


def _instances(requests):
    from lm_eval.api.instance import Instance

    return [Instance("loglikelihood", {}, args, i) for i, args in enumerate(requests)]


def test_python_api_edge_cases_match_hflm(tiny_model):
    """Empty contexts, trailing spaces, truncation to max_length, duplicates; rolling untouched."""
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    from ood_icl.harness.prefix import HFPrefixLM

    kwargs = dict(pretrained=str(tiny_model), dtype="float32", device="cpu", batch_size=4, max_length=40)
    hf, pfx = HFLM(**kwargs), HFPrefixLM(**kwargs, prefix_budget=8)
    long = " ".join(f"w{i} -> v{i}" for i in range(30))
    requests = [("", "abc"), ("x -> ", "y"), ("x ->", " y"), ("x ->", " y"), ("x ->", " yz q"),
                (long, " v30"), (long, " v31 and more"), (long + "\nq ->", " a"), ("q", "x" * 20)]
    want = hf.loglikelihood(_instances(requests))
    got = pfx.loglikelihood(_instances(requests))
    for (a, ga), (b, gb) in zip(want, got, strict=True):
        assert abs(a - b) < TOL and ga == gb
    assert pfx.prefix_stats["tokens_run"] == pfx.prefix_stats["trie_nodes"]
    assert pfx.prefix_stats["trie_nodes"] < pfx.prefix_stats["hf_tokens"]
    rolling = [Instance("loglikelihood_rolling", {}, (long,), 0)]
    assert pfx.loglikelihood_rolling(rolling) == pytest.approx(hf.loglikelihood_rolling(rolling), abs=TOL)


def test_simple_evaluate_with_a_registered_name(tiny_model, runs):
    import lm_eval
    from lm_eval.tasks import TaskManager

    from ood_icl.harness.prefix import register

    register()
    register()  # idempotent
    out, _, _ = runs
    res = lm_eval.simple_evaluate(
        model="hf-prefix", model_args=f"pretrained={tiny_model},dtype=float32", tasks=_tasks()[-1:],
        device="cpu", batch_size=8, limit=8, task_manager=TaskManager(include_path=str(TASK_DIR)),
        log_samples=True)
    (path,) = (out / "hf").rglob(f"samples_{_tasks()[-1]}_*.jsonl")
    want = {s["doc_id"]: s["resps"] for s in map(json.loads, path.read_text().splitlines())}
    for sample in res["samples"][_tasks()[-1]]:
        for (ll, greedy), ((ll_hf, greedy_hf),) in zip((r[0] for r in sample["resps"]), want[sample["doc_id"]]):
            assert abs(float(ll) - float(ll_hf)) < TOL and str(greedy) == greedy_hf


def test_two_cpu_processes_give_the_one_process_results(tiny_model, tmp_path):
    """Data parallel on CPU: ``ACCELERATE_USE_CPU=1 torchrun --nproc_per_node 2`` shards the docs
    (HFLM shards only across GPUs; hf-prefix takes the rank from accelerate) and lm-eval gathers them."""
    import os
    import sys
    tasks, meta = "ood_icl_cipher_ood_k4,ood_icl_affine_id_k16,ood_icl_word_order_renamed_k1", '{"episodes": 2}'
    one = run_lm_eval(tiny_model, tasks, tmp_path / "one", "--metadata", meta, cli=OOD_ICL_EVAL, backend="hf-prefix")
    torchrun = (str(Path(sys.executable).with_name("torchrun")), "--nproc_per_node", "2", "-m", "ood_icl.harness.prefix")
    os.environ["ACCELERATE_USE_CPU"] = "1"
    try:
        two = run_lm_eval(tiny_model, tasks, tmp_path / "two", "--metadata", meta, cli=torchrun, backend="hf-prefix")
    finally:
        del os.environ["ACCELERATE_USE_CPU"]
    assert "on rank 1" in (tmp_path / "two" / "lm_eval.log").read_text()  # the docs were sharded
    worst, docs = 0.0, 0
    for task in tasks.split(","):
        assert one["n-samples"][task] == two["n-samples"][task]
        (fa,), (fb,) = (list((tmp_path / d).rglob(f"samples_{task}_*.jsonl")) for d in ("one", "two"))
        ra, rb = ({s["doc_id"]: s for s in map(json.loads, f.read_text().splitlines())} for f in (fa, fb))
        assert sorted(ra) == sorted(rb) == list(range(one["n-samples"][task]["effective"]))
        for i, s in ra.items():
            docs += 1
            for key in ("doc_hash", "prompt_hash", "target_hash", "acc", "acc_norm"):
                assert s[key] == rb[i][key], (task, i, key)
            assert [g for _, g in s["filtered_resps"]] == [g for _, g in rb[i]["filtered_resps"]]
            worst = max([worst] + [abs(float(x) - float(y)) for (x, _), (y, _) in zip(s["filtered_resps"],
                                                                                     rb[i]["filtered_resps"])])
    assert docs == 30 and worst < 1e-4  # float32: the shards pack other prefixes together
