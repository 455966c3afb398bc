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


def test_the_control_group_has_a_shuffled_k16_task_per_cell_and_a_decoupled_one_where_exchangeable_outside_the_suite():
    from ood_icl.generators import get_family

    files = render_all()
    members = yaml.safe_load(files["_ood_icl_controls.yaml"])["task"]
    decoupled = [(f, v) for f in FAMILIES for v in VARIANTS if v != "id" and not get_family(f).matched(v)]
    assert len(decoupled) == 15  # the 15 renamed and ood cells without the pairing constraint (docs/validity.md)
    assert sorted(members) == sorted([task_name(f, v, CONTROL_K, control="shuffled") for f in FAMILIES for v in VARIANTS]
                                     + [task_name(f, v, CONTROL_K, control="decoupled") for f, v in decoupled])
    for control in ("shuffled", "decoupled"):
        leaf = yaml.safe_load(files[f"{next(m for m in members if m.endswith(control))}.yaml"])
        assert leaf["dataset_kwargs"]["control"] == control and leaf["dataset_kwargs"]["k"] == CONTROL_K
    assert f"{task_name('cipher', 'ood', CONTROL_K, control='decoupled')}.yaml" not in files
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


def test_the_decoupled_docs_show_the_inputs_beside_the_golds_outputs_on_fresh_inputs():
    """The loader and generators.decoupled_demos agree; inputs, query, choices, label are the plain
    task's; the outputs are the gold's on other inputs (not the shown ones' outputs, as a multiset)."""
    from ood_icl.dataset import BuildSpec, episodes
    from ood_icl.generators import decoupled_demos, get_family
    from ood_icl.harness.tasks import load

    plain = load("affine", "ood", CONTROL_K, episodes=3)["test"].to_list()
    docs = load("affine", "ood", CONTROL_K, episodes=3, control="decoupled")["test"].to_list()
    fam = get_family("affine")
    eps = list(episodes(BuildSpec("affine", "ood", episodes=3)))
    differ = 0
    for a, doc in zip(plain, docs):
        assert (a["query"], a["choices"], a["label"]) == (doc["query"], doc["choices"], doc["label"])
        assert [d["input"] for d in a["demos"]] == [d["input"] for d in doc["demos"]]
        demos, _ = decoupled_demos(fam, fam.config(2), eps[doc["episode"]])
        assert [(d["input"], d["output"]) for d in doc["demos"]] == [(d.input, d.output) for d in demos]
        differ += sum(x["output"] != y["output"] for x, y in zip(a["demos"], doc["demos"]))
    assert differ >= 0.9 * len(docs) * CONTROL_K  # m = 31: a fresh input's output equals the shown one's ~1/31


def test_the_decoupled_control_is_refused_where_the_cell_has_none_and_on_foreign_rows(tmp_path):
    import pytest

    from ood_icl.dataset import BuildSpec, rows
    from ood_icl.harness.tasks import LoaderError, load, shown_docs

    for family, variant in (("cipher", "ood"), ("affine", "id"), ("label_map", "renamed")):
        with pytest.raises(LoaderError, match="has only shuffled"):
            load(family, variant, CONTROL_K, episodes=1, control="decoupled")
    other = list(rows(BuildSpec("affine", "ood", seed=5, episodes=1)))
    with pytest.raises(LoaderError, match="not the regenerated episode"):  # another episode
        shown_docs(other, CONTROL_K, "decoupled", BuildSpec("affine", "ood", seed=6, episodes=1))
    edited = [dict(row, demos=[dict(row["demos"][0], input="0@0")] + row["demos"][1:]) for row in other]
    with pytest.raises(LoaderError, match="not the regenerated episode"):  # its episode, other demo inputs
        shown_docs(edited, CONTROL_K, "decoupled", BuildSpec("affine", "ood", seed=5, episodes=1))
    assert len(shown_docs(other, CONTROL_K, "decoupled", BuildSpec("affine", "ood", seed=5, episodes=1))) == 5
