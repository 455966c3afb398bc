"""`ood-icl validity` on a small sample, and its rules catching a leaky task."""

from __future__ import annotations

import dataclasses
import json

from ood_icl.cli import main
from ood_icl.dataset import BuildSpec
from ood_icl.validity import VALIDITY_SHOTS as SHOTS
from ood_icl.validity import Cell, check, evaluate


def test_cells_cover_every_k_with_intervals():
    cells = evaluate(BuildSpec("cipher", "ood", seed=1, episodes=20))
    assert [c.k for c in cells] == list(SHOTS)
    for c in cells:
        assert c.ideal_lo <= c.ideal <= c.ideal_hi
        assert c.queries == 100 and c.episodes == 20
    assert cells[0].log10_rules > 6


def test_check_flags_a_leaky_or_unlearnable_task():
    cell = evaluate(BuildSpec("label_map", "ood", seed=1, episodes=10), shots=(0,))[0]
    leaky = dataclasses.replace(cell, ideal=0.9)
    blind = dataclasses.replace(cell, heuristics=dict(cell.heuristics, first=0.8))
    hard = dataclasses.replace(cell, k=16, ideal=0.6)
    assert check([leaky]) and check([blind]) and check([hard])
    assert "heuristic first" in check([blind])[0]


def test_cli_writes_markdown_and_json(tmp_path, capsys):
    code = main(["validity", "--episodes", "30", "--families", "cipher", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert "| cipher_ood | 16 |" in out
    rows = json.loads((tmp_path / "validity.json").read_text())
    assert {(r["variant"], r["k"]) for r in rows} == {(v, k) for v in ("ood", "id") for k in SHOTS}
    problems = check([Cell(**r) for r in rows])
    assert code == (1 if problems else 0)
