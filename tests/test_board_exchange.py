"""The exchange rate on the board (issue 13, item 4): "FT ≡ ICL@k" per variant and per family,
log-interpolated between the measured budgets, censored outside them, with the paired episode
bootstrap.  The record has exact accuracies, so every crossing is known here by hand."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from markupsafe import escape

from _leaderboard_helpers import _ideal_of, synthetic_record
from ood_icl.leaderboard import record as record_module
from ood_icl.leaderboard.build import render
from ood_icl.leaderboard.columns import FT_TITLES, fmt_budget, ft_cells
from ood_icl.leaderboard.record import Record, write_record
from ood_icl.leaderboard.stats import EXCHANGE_SHOTS, _rng, compute, equivalent_budget

FAMS = ["cipher", "label_map"]
EPISODES = QUERIES = 4  # 16 docs a series: accuracies are counts / 16
BUDGETS = (1, 4, 16, 64)
BOOTS = 400
# correct docs out of 16: in-context per k (both families), fine-tuning per budget (per family); renamed: no FT
ICL = {"ood": {0: 2, 1: 4, 4: 8, 16: 12}, "id": {0: 1, 1: 1, 4: 1, 16: 16}, "renamed": {0: 2, 1: 4, 4: 8, 16: 12}}
FT = {("cipher", "ood"): (4, 6, 10, 14), ("label_map", "ood"): (2, 8, 8, 14),
      ("cipher", "id"): (4, 6, 10, 14), ("label_map", "id"): (2, 8, 8, 14)}


def _bits(n: int, rotate: int = 0) -> str:
    """n of 16 correct, unevenly over the 4 episodes (so the bootstrap has something to resample)."""
    bits = "1" * n + "0" * (16 - n)
    return bits[rotate:] + bits[:rotate]


def _record(name: str = "exchange") -> Record:
    base = synthetic_record(name, families=FAMS, episodes=EPISODES, queries=QUERIES,
                            ft_p={b: 0.5 for b in BUDGETS}).to_json()
    series = []
    for s in base["series"]:
        f, v, k = s["family"], s["variant"], s["k"]
        if s["method"] == "icl":
            series.append(dict(s, correct=_bits(ICL[v][k], rotate=3 * (f == "label_map"))))
        elif (f, v) in FT:
            series.append(dict(s, correct=_bits(FT[(f, v)][BUDGETS.index(k)], rotate=k % 5)))
    base.update(series=series, ideal=_ideal_of(base["ideal"], series))
    return Record.from_json(base, f"{base['slug']}.json")


@pytest.fixture(scope="module")
def stats():
    return compute(_record(), boots=BOOTS)


def _between(b0: float, b1: float, t: float) -> float:
    """The budget a fraction t of the way from b0 to b1 in log(budget)."""
    return b0 * (b1 / b0) ** t


def test_the_shown_shots_are_four_and_sixteen():
    assert EXCHANGE_SHOTS == (4, 16)


def test_the_variant_figure_interpolates_the_family_mean_curve(stats):
    # mean FT curve (ood): (3, 7, 9, 14) / 16; ICL@4 = 8/16 sits halfway from 4 to 16, ICL@16 = 12/16 at 3/5 of 16 -> 64
    assert stats.budgets["ood"] == BUDGETS
    assert stats.exchange[("ood", 4)].value == pytest.approx(8.0)
    assert stats.exchange[("ood", 16)].value == pytest.approx(_between(16, 64, 0.6))  # 36.8
    # not the mean of the families' own budgets (8 and 4 at ICL@4)
    for k in EXCHANGE_SHOTS:
        e = stats.exchange[("ood", k)]
        assert e.note == "" and e.lo <= e.value <= e.hi and e.hi > e.lo


def test_the_family_figures_interpolate_each_familys_curve(stats):
    fx = stats.family_exchange
    assert fx[("cipher", "ood", 4)].value == pytest.approx(8.0)  # 0.5 halfway between 6/16 at 4 and 10/16 at 16
    assert fx[("label_map", "ood", 4)].value == pytest.approx(4.0)  # 8/16 reached exactly at budget 4
    assert fx[("cipher", "ood", 16)].value == pytest.approx(32.0)  # 12/16 halfway between 10/16 and 14/16
    assert fx[("label_map", "ood", 16)].value == pytest.approx(_between(16, 64, 2 / 3))
    assert stats.family_budgets[("cipher", "ood")] == BUDGETS
    assert ("cipher", "renamed") not in stats.family_budgets


def test_censored_only_outside_the_budgets(stats):
    below, above = stats.exchange[("id", 4)], stats.exchange[("id", 16)]  # ICL@4 = 1/16, ICL@16 = 16/16
    assert below.note == "<1" and below.value == pytest.approx(0.5)
    assert above.note == ">64" and above.value == pytest.approx(128)
    assert fmt_budget(below, BUDGETS).startswith("<1 [") and fmt_budget(above, BUDGETS).startswith(">64 [")
    assert stats.family_exchange[("cipher", "id", 16)].note == ">64"


def test_a_variant_without_fine_tuning_shows_a_dash(stats):
    assert "renamed" not in stats.budgets and "renamed" not in stats.icl_ft
    assert not any(v == "renamed" for v, _ in stats.exchange)
    assert ft_cells(stats, "renamed") == ["—"] * len(FT_TITLES)
    assert ft_cells(stats, "renamed", "cipher") == ["—"] * len(FT_TITLES)
    assert ft_cells(stats, "ood")[0] == "1, 4, 16, 64"


def test_icl_minus_ft_per_variant(stats):
    # ood, k = 1, 4, 16: ICL 4, 8, 12 against the FT mean 3, 7, 9 (/16)
    assert stats.icl_ft["ood"].value == pytest.approx((1 + 1 + 3) / 3 / 16)
    assert stats.icl_ft["id"].value == pytest.approx((1 + 1 + 16 - 3 - 7 - 9) / 3 / 16)
    assert stats.family_icl_ft[("label_map", "ood")].value == pytest.approx((4 - 2 + 0 + 4) / 3 / 16)


def _bootstrap(fams: list[str], variant: str, k: int) -> tuple[float, float]:
    """The interval recomputed here: the same episode draws per family x variant, one curve per draw."""
    def per_episode(bits: str) -> np.ndarray:
        return np.array([bits[i:i + QUERIES].count("1") / QUERIES for i in range(0, len(bits), QUERIES)])

    rec = _record()
    by = {(s["family"], s["method"], s["k"]): per_episode(s["correct"]) for s in rec.series if s["variant"] == variant}
    idx = {f: _rng(f, variant).integers(0, EPISODES, size=(BOOTS, EPISODES)) for f in fams}
    out = []
    for i in range(BOOTS):
        draw = {f: idx[f][i] for f in fams}
        y = np.mean([by[(f, "icl", k)][draw[f]].mean() for f in fams])
        curve = [np.mean([by[(f, "ft", b)][draw[f]].mean() for f in fams]) for b in BUDGETS]
        out.append(math.log(equivalent_budget(float(y), curve, list(BUDGETS))[0]))
    lo, hi = np.percentile(out, (2.5, 97.5))
    return math.exp(lo), math.exp(hi)


@pytest.mark.parametrize("fams,variant,k", [(FAMS, "ood", 16), (FAMS, "ood", 4), (["cipher"], "ood", 16),
                                            (FAMS, "id", 4)])
def test_intervals_are_the_paired_episode_bootstrap(stats, fams, variant, k):
    e = stats.exchange[(variant, k)] if len(fams) > 1 else stats.family_exchange[(fams[0], variant, k)]
    assert (e.lo, e.hi) == pytest.approx(_bootstrap(fams, variant, k))


def test_the_single_ood_figure_of_earlier_boards_is_the_largest_shot(stats):
    assert stats.equivalence_k == 16 and stats.equivalence == stats.exchange[("ood", 16)]
    assert stats.icl_minus_ft == stats.icl_ft["ood"] and stats.ft_budgets == BUDGETS


def test_the_board_shows_ood_and_the_detail_every_variant(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(record_module, "FAMILIES", {f: None for f in FAMS})  # a complete record covers FAMS
    rec = _record()
    write_record(tmp_path / "submissions", rec)
    write_record(tmp_path / "submissions", synthetic_record("no-ft", families=FAMS, episodes=EPISODES))
    pages = render(tmp_path)
    stats = compute(rec)  # the board's own number of draws
    lines = pages["README.md"].splitlines()
    header = next(line for line in lines if line.startswith("| Entry | Params"))
    titles = [t.strip() for t in header.strip("|").split("|")]
    assert titles[titles.index("ICL − FT (ood)"):][:3] == ["ICL − FT (ood)", "FT ≡ ICL@4 (ood)", "FT ≡ ICL@16 (ood)"]
    def cells(name: str) -> dict:
        line = next(line for line in lines if line.startswith(f"| {name}"))
        return dict(zip(titles, (c.strip() for c in line.strip("|").split("|"))))

    row = cells("exchange")
    assert row["FT ≡ ICL@4 (ood)"] == fmt_budget(stats.exchange[("ood", 4)], BUDGETS)
    assert row["FT ≡ ICL@4 (ood)"].startswith("8.0 [")
    assert row["FT ≡ ICL@16 (ood)"].startswith("37 [")
    no_ft = cells("no-ft")
    assert no_ft["Gain (ood)"] != "—" and [no_ft[t] for t in titles[titles.index("ICL − FT (ood)"):][:3]] == ["—"] * 3
    detail = [line for line in lines if line.startswith("| exchange | ")]
    assert detail == [f"| exchange | {v} | " + " | ".join(ft_cells(stats, v)) + " |" for v in ("id", "renamed", "ood")]
    assert "| exchange | renamed | — | — | — | — |" in detail
    assert not any(line.startswith("| no-ft | ") and "| ood |" in line for line in lines)  # no FT half: no detail
    html = pages["index.html"]
    for v in ("id", "renamed", "ood"):
        assert f"<td>exchange</td><td>{v}</td>" in html
    cipher = html[html.index('id="family-cipher"'):html.index('id="family-label_map"')]
    assert "In-context vs fine-tuning" in cipher and str(escape(ft_cells(stats, "ood", "cipher")[3])) in cipher
    # one plot per variant holds ICL, FT, the ideal learner and chance (no reference entries on this board)
    ood_plot = cipher[cipher.index("cipher · ood"):].split("</div></div>")[0]
    for label in ("exchange in-context", "exchange fine-tuned", "Ideal learner", "Chance"):
        assert f"</i>{label}</span>" in ood_plot, label


def _cut(rec: Record, name: str, budgets: tuple) -> Record:
    """The record's fine-tuning half cut to ``budgets`` (the same bits: what a submitter could keep)."""
    base = rec.to_json()
    series = [s for s in base["series"] if s["method"] == "icl" or s["k"] in budgets]
    base.update(name=name, slug=name, series=series, ideal=_ideal_of(base["ideal"], series))
    return Record.from_json(base, f"{name}.json")


def test_a_half_cut_to_the_budgets_that_favour_it_shows_what_it_lacks_not_figures(tmp_path: Path, monkeypatch):
    """ICL - FT moves with the budgets a submitter keeps, on the same bits: no cut half shows figures,
    in the main table or the per-variant one, and a partial run (no gain) stays out of the per-variant table."""
    monkeypatch.setattr(record_module, "FAMILIES", {f: None for f in FAMS})
    whole = _record()
    only1 = _cut(whole, "only-1", (1,))
    assert compute(only1, boots=BOOTS).icl_ft["ood"].value != compute(whole, boots=BOOTS).icl_ft["ood"].value
    partial = _cut(whole, "partial", (1, 4, 16, 64))
    partial = Record.from_json(dict(partial.to_json(), series=[s for s in partial.to_json()["series"]
                                                               if not (s["method"] == "icl" and s["k"] == 4)]),
                               "partial.json")
    for rec in (whole, _cut(whole, "no-64", (1, 4, 16)), only1, partial):
        write_record(tmp_path / "submissions", rec)
    lines = render(tmp_path)["README.md"].splitlines()
    header = next(line for line in lines if line.startswith("| Entry | Params"))
    titles = [t.strip() for t in header.strip("|").split("|")]
    ft_titles = titles[titles.index("ICL − FT (ood)"):][:3]

    def row(name: str) -> tuple[dict, str]:
        line = next(line for line in lines if line.startswith(f"| {name}"))
        return dict(zip(titles, (c.strip() for c in line.strip("|").split("|")))), line

    assert all(row("exchange")[0][t] != "—" for t in ft_titles)
    for name, lacking in (("no-64", "64"), ("only-1", "4, 16, 64")):
        cells, line = row(name)
        assert [cells[t] for t in ft_titles] == ["—"] * 3
        assert f"no fine-tuning figures for id (budgets {lacking} missing); ood (budgets {lacking} missing)" in line
        assert f"| {name} | ood | {'1, 4, 16' if name == 'no-64' else '1'} (lacks {lacking}) | — | — | — |" in lines
    assert not any(line.startswith("| partial | ") and " | ood | " in line for line in lines)
