"""The official task set and configs, read from the YAML the suite ships (``harness.taskgen.render_all()``).

lm-eval records each leaf task's resolved config in ``configs``: the YAML keys after
``include:`` merging, ``!function`` hooks replaced by their source text, ``metadata`` merged
with ``--metadata`` and the model arguments.  ``check_config`` compares a recorded config
with the official one key by key; nothing recorded is ever executed.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from functools import lru_cache

import yaml

from ..harness.taskgen import render_all
from ..task_yaml import utils as _utils
from ..io import is_int, is_number, shown
from ..suite import CHAT_GROUP, SUITE_GROUP, TASK_VERSION, TaskName, parse_task

# Recorded keys that cannot move a score (num_fewshot is 0, so the few-shot settings are unused).
_IGNORED = {"fewshot_config", "fewshot_delimiter", "should_decontaminate", "doc_to_decontamination_query",
            "metadata", "task_alias", "group_alias", "tag"}
# The hooks as lm-eval resolves them (task_yaml/utils.py), so the recorded source is theirs.
_FUNCTIONS = {"utils.load": _utils.load, "utils.doc_to_text": _utils.doc_to_text,
              "utils.doc_to_text_chat": _utils.doc_to_text_chat}
_DEFAULTS = {"description": "", "repeats": 1, "unsafe_code": False}
SIZE_KEYS = ("difficulty", "episodes", "queries")


@dataclass(frozen=True)
class Function:
    """A ``!function`` hook named in the YAML."""

    name: str


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!function", lambda loader, node: Function(loader.construct_scalar(node)))


@dataclass(frozen=True)
class OfficialTask:
    task: TaskName
    config: dict  # merged YAML (without metadata), Function markers for hooks


@dataclass(frozen=True)
class Official:
    tasks: dict[str, OfficialTask]
    groups: dict[str, tuple[str, ...]]
    metadata: dict  # the suite's metadata: version, seed, difficulty, episodes, queries
    required: frozenset[str]  # the leaves of the default group ``ood_icl``
    required_chat: frozenset[str]  # the leaves of ``ood_icl_chat``: a chat run's suite
    task_metadata: dict[str, dict]  # each leaf's own metadata (k0 and quick have other episodes)


@lru_cache(maxsize=1)
def official() -> Official:
    """The suite as the shipped YAML defines it (regenerated from the family registry)."""
    files = {name: yaml.load(text, Loader=_Loader) for name, text in render_all().items()}

    def merged(name: str) -> dict:
        cfg = dict(files[name])
        base = cfg.pop("include", None)
        return {**merged(base), **cfg} if base else cfg

    tasks, groups, task_metadata = {}, {}, {}
    for name, cfg in files.items():
        if "group" in cfg:
            groups[cfg["group"]] = tuple(cfg["task"])
        elif "task" in cfg and parse_task(cfg["task"]) is not None:
            full = merged(name)
            task_metadata[full["task"]] = full.pop("metadata")
            tasks[full["task"]] = OfficialTask(parse_task(full["task"]), full)

    def leaves(name: str) -> set[str]:
        return set().union(*(leaves(m) for m in groups[name])) if name in groups else {name}

    suite = merged("_mc_yaml")["metadata"]
    return Official(tasks, groups, suite, frozenset(leaves(SUITE_GROUP)), frozenset(leaves(CHAT_GROUP)), task_metadata)


def function_source(marker: Function) -> str:
    return inspect.getsource(_FUNCTIONS[marker.name])


def check_config(recorded: dict, expected: dict, add) -> None:
    """Compare a recorded leaf config with the official one; ``add(code, detail)`` per difference."""
    for key, want in expected.items():
        if key in _IGNORED:
            continue
        if isinstance(want, Function):
            want = function_source(want)
        have = recorded.get(key, _DEFAULTS.get(key))
        if have != want:
            add("config-mismatch", f"{key} = {shown(have, 60)}, official {shown(want, 60)}")
    for key, have in recorded.items():
        if key in expected or key in _IGNORED:
            continue
        if key in _DEFAULTS:
            if have != _DEFAULTS[key]:
                add("config-mismatch", f"{key} = {shown(have, 60)}, official {shown(_DEFAULTS[key], 60)}")
        elif have not in (None, "", [], {}):
            add("config-mismatch", f"{key} = {shown(have, 60)} is not in the official config")


def check_metadata(meta, sizes: dict, add) -> None:
    """The recorded metadata: the official version, an integer seed, the official data sizes."""
    if not isinstance(meta, dict):
        add("config-mismatch", "metadata is missing")
        return
    version = meta.get("version")
    if not is_number(version) or float(version) != TASK_VERSION:
        add("version-mismatch", f"metadata.version = {shown(version, 60)}, official {TASK_VERSION}")
    if not is_int(meta.get("seed")):
        add("config-mismatch", f"metadata.seed = {shown(meta.get('seed'), 60)} is not an integer")
    for key in SIZE_KEYS:
        if not is_int(meta.get(key)) or meta[key] < 1:
            add("config-mismatch", f"metadata.{key} = {shown(meta.get(key), 60)} is not a positive integer")
        elif sizes.get(key) is not None and meta[key] != sizes[key]:
            add("nonstandard-size", f"metadata.{key} = {meta[key]}, official {sizes[key]}")
