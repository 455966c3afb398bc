"""The task YAMLs are generated from the registry and never stale."""

from __future__ import annotations

from pathlib import Path

import yaml

from ood_icl.generators import FAMILIES, VARIANTS
from ood_icl.harness.taskgen import render_all, stale
from ood_icl.suite import CONTROL_K, SHOTS, task_name

TASK_DIR = Path(__file__).resolve().parent.parent / "task_yaml"


def test_task_yaml_is_not_stale():
    assert stale(TASK_DIR) == [], "run: python -m ood_icl.harness.taskgen"


def test_every_family_variant_and_k_has_a_short_leaf():
    files = render_all()
    for fam in FAMILIES:
        for variant in VARIANTS:
            for k in (0,) + SHOTS:
                text = files[f"{task_name(fam, variant, k)}.yaml"]
                assert len(text.strip().splitlines()) <= 6
                assert yaml.safe_load(text)["dataset_kwargs"] == {"family": fam, "variant": variant, "k": k}


def test_main_group_excludes_k0_and_generation():
    files = render_all()
    members = []
    for fam in FAMILIES:
        members += yaml.safe_load(files[f"_ood_icl_{fam}.yaml"])["task"]
    assert not [m for m in members if m.endswith("_k0") or m.endswith("_gen")]
    assert len(members) == len(FAMILIES) * len(VARIANTS) * len(SHOTS)


def test_the_control_group_has_a_shuffled_k16_task_per_family_and_variant_outside_the_suite():
    files = render_all()
    members = yaml.safe_load(files["_ood_icl_controls.yaml"])["task"]
    assert sorted(members) == sorted(task_name(f, v, CONTROL_K, control="shuffled") for f in FAMILIES for v in VARIANTS)
    leaf = yaml.safe_load(files[f"{members[0]}.yaml"])
    assert leaf["dataset_kwargs"]["control"] == "shuffled" and leaf["dataset_kwargs"]["k"] == CONTROL_K
    suite = [m for fam in FAMILIES for m in yaml.safe_load(files[f"_ood_icl_{fam}.yaml"])["task"]]
    assert not set(members) & set(suite)


def test_the_control_docs_derange_the_outputs_and_keep_inputs_query_and_choices():
    from ood_icl.harness.tasks import load

    plain = load("label_map", "ood", CONTROL_K, episodes=2)["test"].to_list()
    shuffled = load("label_map", "ood", CONTROL_K, episodes=2, control="shuffled")["test"].to_list()
    for a, b in zip(plain, shuffled):
        assert (a["query"], a["choices"], a["label"]) == (b["query"], b["choices"], b["label"])
        assert [d["input"] for d in a["demos"]] == [d["input"] for d in b["demos"]]
        assert sorted(d["output"] for d in a["demos"]) == sorted(d["output"] for d in b["demos"])
    by_episode = {}
    for row in shuffled:
        by_episode.setdefault(row["episode"], []).append(tuple(d["output"] for d in row["demos"]))
    assert all(len(set(v)) == 1 for v in by_episode.values()), "one derangement per episode: a shared prefix"


def test_the_control_docs_are_the_learners_shuffled_demos():
    """The loader and generators.shuffled_demos (what the validity learners see) derange alike."""
    from ood_icl.dataset import BuildSpec, episodes
    from ood_icl.generators import shuffled_demos
    from ood_icl.harness.tasks import load

    docs = load("label_map", "renamed", CONTROL_K, episodes=3, control="shuffled")["test"].to_list()
    eps = list(episodes(BuildSpec("label_map", "renamed", episodes=3)))
    for doc in docs:
        demos, _ = shuffled_demos(eps[doc["episode"]])
        assert [(d["input"], d["output"]) for d in doc["demos"]] == [(d.input, d.output) for d in demos]
