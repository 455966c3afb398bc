"""The one prompt format, shared by lm-eval tasks, fine-tuning and verification."""

from __future__ import annotations

from typing import Iterable, Mapping


def render_demo(inp: str, out: str) -> str:
    return f"Input: {inp}\nOutput: {out}\n\n"


def render_prompt(demos: Iterable[Mapping[str, str]], query: str) -> str:
    """Demonstrations then the query; the answer follows after one space (lm-eval's target_delimiter)."""
    return "".join(render_demo(d["input"], d["output"]) for d in demos) + f"Input: {query}\nOutput:"
