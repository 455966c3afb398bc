"""`ood-icl validity` on a small sample, and its rules catching a leaky or unlearnable task."""

from __future__ import annotations

import dataclasses
import json

from ood_icl.cli import main
from ood_icl.generators import VARIANTS
from ood_icl.generators.check import SHOTS, check_variant, control_checked, failures
from ood_icl.generators.learners import PAIRING_FREE

FAST = "label_map"


def test_a_report_covers_every_k_and_every_learner():
    rep = check_variant(FAST, "ood", seed=1, episodes=12)
    assert set(rep.ideal) == set(SHOTS) and rep.episodes == 12
    assert set(PAIRING_FREE) <= set(rep.control)
    for k in SHOTS:
        assert set(PAIRING_FREE) <= set(rep.learners[k])
    assert 0 <= rep.familiar_share <= 1 and rep.log10_behaviours > 0


def test_failures_flag_a_leaky_an_unlearnable_and_a_familiar_task():
    rep = check_variant(FAST, "ood", seed=1, episodes=12)
    leaky = dataclasses.replace(rep, ideal={**rep.ideal, 0: (0.9, 0.01)})
    hard = dataclasses.replace(rep, ideal={**rep.ideal, 16: (0.6, 0.01)})
    outputs = dataclasses.replace(rep, control=dict(rep.control, majority_output=(0.9, 0.01)))
    beaten = dataclasses.replace(rep, learners={**rep.learners, 4: dict(rep.learners[4], nearest_output=(1.0, 0.001))})
    familiar = dataclasses.replace(rep, familiar_share=0.1)
    assert any("k=0" in f for f in failures(leaky))
    assert any("k=16" in f for f in failures(hard))
    assert any("majority_output" in f for f in failures(outputs))
    assert any("beats the ideal" in f for f in failures(beaten))
    assert any("familiar" in f for f in failures(familiar))


def test_an_exchangeable_cell_is_checked_on_the_decoupled_control_with_its_rule_space_search():
    """affine ood: its deranged control is solved by the search (docs/validity.md), so the report
    runs every learner on the decoupled control, the search included and checked; id keeps the
    deranged control, unchecked."""
    rep = check_variant("affine", "ood", seed=1, episodes=60)  # 12 episodes: 14 learners' SEs too rough
    assert rep.control_kind == "decoupled" and "bag_consistency" in rep.control
    assert set(control_checked(rep)) == set(rep.control) > set(PAIRING_FREE) | {"bag_consistency"}  # every learner
    assert failures(rep) == []
    solved = dataclasses.replace(rep, control=dict(rep.control, bag_consistency=(1.0, 0.0)))
    assert any("control (decoupled): bag_consistency" in f for f in failures(solved))
    rid = check_variant("affine", "id", seed=1, episodes=12)
    assert rid.control_kind == "shuffled" and control_checked(rid) == []
    matched = check_variant(FAST, "ood", seed=1, episodes=4)  # the pairing constraint: deranged, pairing-free checked
    assert matched.control_kind == "shuffled" and set(control_checked(matched)) == set(PAIRING_FREE)


def test_cli_writes_markdown_and_json(tmp_path, capsys):
    code = main(["validity", "--episodes", "12", "--families", FAST, "--out", str(tmp_path)])
    out = capsys.readouterr().out
    for v in VARIANTS:
        assert f"| {FAST}_{v} |" in out
    blob = json.loads((tmp_path / "validity.json").read_text())
    assert [r["variant"] for r in blob["reports"][FAST]] == list(VARIANTS)
    assert code == (1 if blob["problems"] else 0)
