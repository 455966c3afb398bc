"""``ood-icl publish``: the dataset folder as a Hugging Face Hub dataset repo.

The folder is the one ``ood-icl generate`` writes (parquet per config, the card, manifest.json);
without ``--data`` the published set (seed 2026, default sizes) is generated into a temporary
folder first, byte for byte what ``ood-icl generate`` gives.  Before anything goes up every
config is re-hashed against the manifest, the seed must be the published one (a rescoring seed
must stay private) and the card and manifest must carry no local path.  ``--dry-run`` lists what
would go up and touches no network.  The token comes from the usual place (``HF_TOKEN`` or
``hf auth login``); huggingface_hub creates the repo if needed and uploads the folder in one commit.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
from pathlib import Path

from .dataset import BuildSpec, content_hash, public_command, write_repo
from .generators import FAMILIES, VARIANTS
from .io import DataError, read_json
from .suite import DEFAULT_DIFFICULTY, DEFAULT_EPISODES, DEFAULT_POOL, DEFAULT_QUERIES, PUBLISHED_SEED

EXAMPLE = """example:
  ood-icl publish --repo-id my-org/ood-icl --dry-run          # list what would go up (no network)
  ood-icl publish --repo-id my-org/ood-icl                    # generate the published set, upload it
  ood-icl publish --repo-id my-org/ood-icl --data out/data --revision v3.0
then: lm_eval ... --tasks ood_icl --include_path task_yaml --metadata '{"dataset": "my-org/ood-icl"}'"""


class PublishError(ValueError):
    """The folder cannot be published; one line naming why."""


def configure_parser(p: argparse.ArgumentParser) -> None:
    p.epilog = EXAMPLE
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("--repo-id", required=True, metavar="ORG/NAME", help="the Hub dataset repo (created if missing)")
    p.add_argument("--data", type=Path, default=None, metavar="DIR",
                   help="a folder written by `ood-icl generate` (default: generate the published set, seed "
                        f"{PUBLISHED_SEED}, into a temporary folder)")
    p.add_argument("--revision", default=None, metavar="R", help="branch to upload to, created from main if missing "
                                                                  "(default: main)")
    p.add_argument("--private", action="store_true", help="create the repo private (default: public)")
    p.add_argument("--any-seed", action="store_true",
                   help=f"allow a folder of a seed other than {PUBLISHED_SEED} (default: refused)")
    p.add_argument("--dry-run", action="store_true", help="list the files that would go up; no network")


def run(args) -> int:
    try:
        if args.data is not None:
            print(publish(args.data, args.repo_id, args.revision, args.private, args.dry_run, args.any_seed))
            return 0
        with tempfile.TemporaryDirectory(prefix="ood-icl-publish-") as tmp:
            folder = Path(tmp) / "data"
            write_repo(folder, published_specs(), published_command(), progress=not args.dry_run)
            print(publish(folder, args.repo_id, args.revision, args.private, args.dry_run, args.any_seed))
        return 0
    except (PublishError, OSError) as exc:
        print(f"ood-icl publish: error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2


def published_specs() -> list[BuildSpec]:
    return [BuildSpec(f, v, seed=PUBLISHED_SEED, difficulty=DEFAULT_DIFFICULTY, episodes=DEFAULT_EPISODES,
                      queries=DEFAULT_QUERIES, pool=DEFAULT_POOL) for f in sorted(FAMILIES) for v in VARIANTS]


def published_command() -> str:
    return "ood-icl " + shlex.join(["generate", "--out", "DATA_DIR", "--seed", str(PUBLISHED_SEED)])


def plan(folder: Path, any_seed: bool = False) -> list[tuple[str, int]]:
    """(path in the repo, bytes) of every file that would go up, after the folder's checks."""
    folder = Path(folder)
    if not folder.is_dir():
        raise PublishError(f"{folder}: no such folder")
    try:
        manifest = read_json(folder / "manifest.json")
    except (DataError, OSError) as exc:
        raise PublishError(f"{folder}: no readable manifest.json (not a folder of `ood-icl generate`): {exc}") from None
    if manifest.get("seed") != PUBLISHED_SEED and not any_seed:
        raise PublishError(f"{folder}: holds seed {manifest.get('seed')!r}, not the published {PUBLISHED_SEED} "
                           "(a rescoring seed must stay private); pass --any-seed to publish it anyway")
    command = str(manifest.get("command", ""))
    if command != public_command(command) or str(folder.resolve()) in (folder / "README.md").read_text():
        raise PublishError(f"{folder}: its card or manifest names a local path; regenerate it with this version")
    _check_hashes(folder, manifest)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not _hidden(p.relative_to(folder)))
    return [(p.relative_to(folder).as_posix(), p.stat().st_size) for p in files]


def _hidden(rel: Path) -> bool:
    return any(part.startswith(".") for part in rel.parts)


def _check_hashes(folder: Path, manifest: dict) -> None:
    import pyarrow.parquet as pq

    for name, entry in sorted(manifest.get("configs", {}).items()):
        files = sorted((folder / "data" / name).glob("*.parquet"))
        try:
            found = [row for path in files for row in pq.read_table(path).to_pylist()]
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise PublishError(f"{folder}/data/{name}: corrupt parquet ({str(exc).splitlines()[0]})") from None
        if not files or content_hash(found) != entry.get("sha256"):
            raise PublishError(f"{folder}: config {name} does not match its manifest hash")


def publish(folder: Path, repo_id: str, revision: str | None = None, private: bool = False,
            dry_run: bool = False, any_seed: bool = False, api=None) -> str:
    """Upload ``folder`` to the dataset repo ``repo_id``; return what was (or would be) done."""
    if not isinstance(repo_id, str) or repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise PublishError(f"--repo-id {repo_id!r}: must be ORG/NAME")
    files = plan(folder, any_seed)
    seed = json.loads((Path(folder) / "manifest.json").read_text())["seed"]
    target = f"https://huggingface.co/datasets/{repo_id}" + (f" (revision {revision})" if revision else "")
    listing = "\n".join(f"  {size:>10,d}  {path}" for path, size in files)
    total = sum(size for _, size in files)
    head = f"{len(files)} files, {total:,d} bytes, seed {seed} -> {target}"
    if dry_run:
        return f"dry run: would upload {head}\n{listing}"
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi()  # the token from HF_TOKEN or `hf auth login`
    api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    if revision:
        api.create_branch(repo_id, repo_type="dataset", branch=revision, exist_ok=True)
    info = api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type="dataset", revision=revision,
                             commit_message=f"ood-icl: seed {seed}", ignore_patterns=[".*", "**/.*"])
    return f"uploaded {head}\n{listing}\ncommit: {getattr(info, 'commit_url', info)}"
