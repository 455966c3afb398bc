"""The dataset repo folder, its manifest, and the lm-eval loader agreeing with it."""

from __future__ import annotations

import json

import datasets
import pytest

from ood_icl import dataset as ds
from ood_icl.dataset import BuildSpec, content_hash, write_repo
from ood_icl.harness.tasks import load

SPECS = [BuildSpec("cipher", "ood", seed=7, episodes=3), BuildSpec("list_fn", "id", seed=7, episodes=3)]


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen") / "data"
    write_repo(out, SPECS, "test", progress=False)
    return out


def test_every_config_loads_offline_with_its_manifest_hash(repo, tmp_path):
    manifest = json.loads((repo / "manifest.json").read_text())
    assert set(manifest["configs"]) == {"cipher_ood", "list_fn_id"}
    for name, entry in manifest["configs"].items():
        # A cache of its own: datasets' cache key for a local folder does not see the files'
        # content, so a folder regenerated at a reused temporary path was served stale rows.
        found = datasets.load_dataset(str(repo), name, split="test", cache_dir=str(tmp_path))
        assert found.features == ds.features()
        assert content_hash(found.to_list()) == entry["sha256"]
        assert len(found) == entry["rows"] == 15


def test_card_front_matter_lists_configs_and_info(repo):
    import yaml

    front = yaml.safe_load((repo / "README.md").read_text().split("---")[1])
    assert [c["config_name"] for c in front["configs"]] == ["cipher_ood", "list_fn_id"]
    assert {i["config_name"] for i in front["dataset_info"]} == {"cipher_ood", "list_fn_id"}


def test_loader_regenerated_and_from_folder_agree(repo):
    for k in (0, 4, 16):
        fresh = load(family="cipher", variant="ood", k=k, seed=7, episodes=3, pretrained="ignored")
        stored = load(family="cipher", variant="ood", k=k, seed=7, episodes=3, data_dir=str(repo))
        assert content_hash(fresh["test"].to_list()) == content_hash(stored["test"].to_list())
        assert all(len(r["demos"]) == k for r in fresh["test"])
    full = load(family="cipher", variant="ood", k=16, seed=7, episodes=3)["test"].to_list()
    manifest = json.loads((repo / "manifest.json").read_text())
    assert content_hash(full) == manifest["configs"]["cipher_ood"]["sha256"]


def test_a_larger_folder_serves_a_smaller_task(repo):
    fresh = load(family="list_fn", variant="id", k=4, seed=7, episodes=2)
    stored = load(family="list_fn", variant="id", k=4, seed=7, episodes=2, data_dir=str(repo))
    assert content_hash(fresh["test"].to_list()) == content_hash(stored["test"].to_list())
    with pytest.raises(ValueError, match="episodes"):
        load(family="list_fn", variant="id", k=4, seed=7, episodes=4, data_dir=str(repo))


def test_loader_refuses_a_folder_of_another_seed(repo):
    with pytest.raises(ValueError, match="seed"):
        load(family="cipher", variant="ood", k=4, seed=8, episodes=3, data_dir=str(repo))


def test_loader_rejects_bad_arguments():
    with pytest.raises(ValueError, match="k=99"):
        load(family="cipher", variant="ood", k=99)
    with pytest.raises(ValueError, match="Did you mean"):
        load(family="ciphre", variant="ood", k=1)
    with pytest.raises(ValueError, match="seed='7'"):
        load(family="cipher", variant="ood", k=1, seed="7")


def test_same_seed_same_manifest_hashes_other_seed_different(tmp_path):
    a = write_repo(tmp_path / "a", SPECS, "x", progress=False)
    b = write_repo(tmp_path / "b", SPECS, "x", progress=False)
    c = write_repo(tmp_path / "c", [BuildSpec(s.family, s.variant, seed=8, episodes=3) for s in SPECS], "x",
                   progress=False)
    assert a["configs"] == b["configs"]
    for name in a["configs"]:
        assert a["configs"][name]["sha256"] != c["configs"][name]["sha256"]


def test_failed_build_leaves_no_folder(tmp_path, monkeypatch):
    calls = []

    def boom(spec):
        calls.append(spec)
        if len(calls) == 2:
            raise RuntimeError("killed mid-build")
        return original(spec)

    original = ds.rows
    monkeypatch.setattr(ds, "rows", boom)
    with pytest.raises(RuntimeError):
        write_repo(tmp_path / "out", SPECS, "x", progress=False)
    assert list(tmp_path.iterdir()) == []


def test_rebuild_replaces_the_old_folder_whole(tmp_path):
    out = tmp_path / "out"
    write_repo(out, SPECS, "x", progress=False)
    write_repo(out, SPECS[:1], "x", progress=False)
    assert sorted(p.name for p in (out / "data").iterdir()) == ["cipher_ood"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_the_k0_floors_episodes_begin_with_the_suites():
    """The k0 floor's 100 episodes begin with the suite's 20, row for row, in every cell: the board
    keeps a k0 task's first docs as the k = 0 cell of the run's own episodes (leaderboard.derive)."""
    from ood_icl.generators import FAMILIES, VARIANTS
    from ood_icl.suite import DEFAULT_EPISODES, DEFAULT_QUERIES, EPISODES

    for family in sorted(FAMILIES):
        for variant in VARIANTS:
            suite = list(ds.rows(BuildSpec(family, variant)))
            floor = list(ds.rows(BuildSpec(family, variant, episodes=EPISODES["k0"])))
            assert len(floor) == EPISODES["k0"] * DEFAULT_QUERIES and len(suite) == DEFAULT_EPISODES * DEFAULT_QUERIES
            assert floor[:len(suite)] == suite, (family, variant)
