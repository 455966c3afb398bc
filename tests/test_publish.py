"""ood-icl publish: the folder's checks, the dry run (no network), the upload through
huggingface_hub's API (a recording stand-in here: no network to the Hub), the card, and tasks
reading a published repo (a local folder stands in for the repo id)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ood_icl.dataset import BuildSpec, content_hash, write_repo
from ood_icl.harness.tasks import LoaderError, load
from ood_icl.publish import PublishError, plan, publish
from ood_icl.suite import PUBLISHED_SEED

SPECS = [BuildSpec("cipher", "ood", episodes=2), BuildSpec("label_map", "id", episodes=2)]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pub") / "data"
    write_repo(out, SPECS, f"ood-icl generate --out {out} --episodes 2", progress=False)
    return out


class FakeApi:
    def __init__(self):
        self.calls = []

    def create_repo(self, repo_id, **kw):
        self.calls.append(("create_repo", repo_id, kw))

    def create_branch(self, repo_id, **kw):
        self.calls.append(("create_branch", repo_id, kw))

    def upload_folder(self, **kw):
        self.calls.append(("upload_folder", kw["repo_id"], kw))
        return "https://huggingface.co/datasets/x/y/commit/0"


def test_the_dry_run_lists_every_file_and_calls_nothing(folder):
    api = FakeApi()
    text = publish(folder, "my-org/ood-icl", dry_run=True, api=api)
    assert api.calls == []
    assert text.startswith("dry run: would upload 4 files")
    for path in ("README.md", "manifest.json", "data/cipher_ood/test-00000-of-00001.parquet"):
        assert path in text


def test_publish_creates_the_dataset_repo_and_uploads_the_folder(folder):
    api = FakeApi()
    publish(folder, "my-org/ood-icl", revision="v3", api=api)
    assert [c[0] for c in api.calls] == ["create_repo", "create_branch", "upload_folder"]
    assert api.calls[0][2]["repo_type"] == "dataset" and api.calls[2][2]["revision"] == "v3"
    assert api.calls[2][2]["folder_path"] == str(folder)


def test_the_card_and_manifest_carry_no_local_path_and_name_every_section(folder):
    card = (folder / "README.md").read_text()
    assert str(folder) not in card and str(folder) not in (folder / "manifest.json").read_text()
    assert "--out DATA_DIR" in json.loads((folder / "manifest.json").read_text())["command"]
    for heading in ("Dataset description", "Families", "Fields", "Uses", "Limitations", "How it was generated",
                    "License", "Citation"):
        assert f"\n## {heading}\n" in card
    assert "&id" not in card


def test_the_card_loads_with_huggingface_hub(folder):
    from huggingface_hub import DatasetCard

    card = DatasetCard.load(folder / "README.md")
    assert card.data.license == "mit" and [c["config_name"] for c in card.data.configs] == ["cipher_ood", "label_map_id"]


def test_refused_folders(folder, tmp_path):
    with pytest.raises(PublishError, match="no such folder"):
        plan(tmp_path / "missing")
    other = tmp_path / "other"
    write_repo(other, [BuildSpec("cipher", "ood", seed=5, episodes=1)], "x", progress=False)
    with pytest.raises(PublishError, match="seed 5"):
        plan(other)
    assert plan(other, any_seed=True)
    with pytest.raises(PublishError, match="ORG/NAME"):
        publish(folder, "no-slash", dry_run=True)


def test_a_damaged_folder_is_refused(folder, tmp_path):
    import shutil

    bad = tmp_path / "bad"
    shutil.copytree(folder, bad)
    (bad / "data/cipher_ood/test-00000-of-00001.parquet").write_bytes(b"garbage")
    with pytest.raises(PublishError, match="cipher_ood"):
        plan(bad)


def test_tasks_read_a_published_repo_and_regenerate_any_other_seed(folder):
    fresh = load("cipher", "ood", 4, episodes=2)["test"].to_list()
    read = load("cipher", "ood", 4, episodes=2, dataset=str(folder))["test"].to_list()
    assert content_hash(read) == content_hash(fresh)
    other = load("cipher", "ood", 4, seed=PUBLISHED_SEED + 1, episodes=2, dataset=str(folder))["test"].to_list()
    assert {r["seed"] for r in other} == {PUBLISHED_SEED + 1}
    assert content_hash(other) == content_hash(load("cipher", "ood", 4, seed=PUBLISHED_SEED + 1, episodes=2)["test"].to_list())


@pytest.mark.parametrize("kwargs, cause", [
    ({"seed": "12"}, "seed='12': must be an integer"),
    ({"data_dir": "/no/such/folder"}, "no such folder"),
    ({"dataset": "/no/such/folder-or/repo"}, "dataset="),
])
def test_loader_errors_are_one_line_naming_the_cause(kwargs, cause, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(LoaderError, match=cause) as info:
        load("cipher", "ood", 4, episodes=2, **kwargs)
    assert "\n" not in str(info.value)


def test_a_corrupt_parquet_names_its_file(folder, tmp_path):
    import shutil

    bad = tmp_path / "bad"
    shutil.copytree(folder, bad)
    path = bad / "data/cipher_ood/test-00000-of-00001.parquet"
    path.write_bytes(b"garbage")
    with pytest.raises(LoaderError, match="test-00000-of-00001.parquet: corrupt parquet") as info:
        load("cipher", "ood", 4, episodes=2, data_dir=str(bad))
    assert "\n" not in str(info.value)
