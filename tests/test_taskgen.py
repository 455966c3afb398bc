"""The task YAMLs are generated from the registry and never stale."""

from __future__ import annotations

from pathlib import Path

import yaml

from ood_icl.generators import FAMILIES, VARIANTS
from ood_icl.harness.taskgen import render_all, stale
from ood_icl.suite import SHOTS, task_name

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
