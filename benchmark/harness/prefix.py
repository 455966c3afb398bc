"""`hf-prefix`: lm-eval's `hf` backend that runs each shared token prefix once.

    python -m ood_icl.harness.prefix --model hf-prefix --model_args pretrained=PATH,dtype=bfloat16 \\
        --tasks ood_icl --include_path task_yaml --device cpu --output_path DIR --log_samples

registers the backend and runs lm-eval's own CLI unchanged (same flags, output folder and
results schema). From Python: `register()` then `lm_eval.simple_evaluate(model="hf-prefix", ...)`,
or pass an `HFPrefixLM(pretrained=...)` instance as `model`.

`HFPrefixLM` is `HFLM` with one change: loglikelihood requests, tokenized by HFLM's own
`_encode_pair` and truncated as `_loglikelihood_tokens` truncates them, go into a token trie
(`prefix_trie`); every trie node runs once, with the KV cache of its path (a DynamicCache that is
cropped as soon as a subtree is done) and a tree attention mask that lets several small sibling
subtrees share one forward call. Each request gets `(sum of log-probs, is_greedy)` with HFLM's
semantics: `log_softmax(logits, dtype=softmax_dtype)`, summed over the continuation, and whether
every continuation token is the argmax. Generation and rolling log-likelihood use HFLM's path, as
do seq2seq models, attention kernels that cannot take a custom mask, and sliding-window models.
Model arg `prefix_budget` (default 1024): the most trie nodes packed into one forward call.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import sys
import time

import torch
import torch.nn.functional as F
from lm_eval.models.huggingface import HFLM
from tqdm import tqdm

from ood_icl.harness.prefix_trie import Drop, Scored, Trie, add_request, plan, tree_ends

NAME = "hf-prefix"
TARGET = "ood_icl.harness.prefix:HFPrefixLM"
STATS_ENV = "OOD_ICL_PREFIX_STATS"  # if set: a file that gets one JSON line of run figures per call
log = logging.getLogger("lm_eval.models.hf_prefix")


def register() -> None:
    """Add `hf-prefix` to lm-eval's model registry (idempotent; lm-eval's own backends stay)."""
    import lm_eval.models  # noqa: F401  (fills the registry first: get_model skips that once it is non-empty)
    from lm_eval.api.registry import model_registry

    if NAME not in model_registry:
        model_registry.register(NAME, target=TARGET)


def main(argv: list[str] | None = None) -> None:
    """lm-eval's CLI with `hf-prefix` registered: `python -m ood_icl.harness.prefix <lm_eval args>`."""
    register()
    from lm_eval.__main__ import cli_evaluate

    if argv is not None:
        sys.argv = [sys.argv[0], *argv]
    cli_evaluate()


def tree_mask(ends: list[int], cached: int, dtype: torch.dtype, device) -> torch.Tensor:
    """Additive 4D mask [1, 1, T, cached + T]: all of the cache, and a run node's ancestors in the run.

    Run nodes are in preorder, so node j is an ancestor-or-self of node i iff j <= i < ends[j].
    """
    idx = torch.arange(len(ends), device=device)
    end = torch.tensor(ends, device=device)
    tree = (idx[None, :] <= idx[:, None]) & (idx[:, None] < end[None, :])
    seen = torch.cat([torch.ones(len(ends), cached, dtype=torch.bool, device=device), tree], dim=1)
    mask = torch.zeros(seen.shape, dtype=dtype, device=device)
    return mask.masked_fill_(~seen, torch.finfo(dtype).min)[None, None]


def crop(cache, n: int) -> None:
    """Drop the last `n` positions (a negative crop means "remove" in transformers 4.x and 5.x)."""
    if n > 0:
        cache.crop(-n)


class HFPrefixLM(HFLM):
    """HFLM whose loglikelihood requests share every common token prefix (see the module doc)."""

    def __init__(self, *args, prefix_budget: int = 1024, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        accelerator = getattr(self, "accelerator", None)
        if accelerator is not None and self.world_size == 1 and accelerator.device.type == "cpu":
            # HFLM shards only across GPUs; under accelerate's MULTI_CPU state (`ACCELERATE_USE_CPU=1
            # torchrun --nproc_per_node N`; `accelerate launch --cpu` starts one process) each process
            # takes its share of the docs too, and lm-eval gathers them (gloo).
            self._rank, self._world_size = accelerator.process_index, accelerator.num_processes
        self.prefix_budget = int(prefix_budget)
        self.prefix_stats: dict[str, float] = {}
        self._prefix_active = False
        self._prefix_warned = False

    def loglikelihood(self, requests, disable_tqdm: bool = False):
        self._prefix_active = True  # only this path; loglikelihood_rolling keeps HFLM's
        try:
            return super().loglikelihood(requests, disable_tqdm=disable_tqdm)
        finally:
            self._prefix_active = False

    def prefix_unsupported(self) -> str | None:
        """Why the prefix path cannot reproduce HFLM here, or None when it can."""
        if self.backend != "causal":
            return "not a causal LM"
        config = self.model.config
        impl = getattr(config, "_attn_implementation", None) or "eager"
        if impl not in ("sdpa", "eager"):
            return f"attention implementation {impl!r} takes no custom 4D mask"
        window = getattr(config, "sliding_window", None)
        if window and getattr(config, "use_sliding_window", True) and window < self.max_length:
            return f"sliding window {window} < max_length {self.max_length}"
        return None

    def _loglikelihood_tokens(self, requests, disable_tqdm: bool = False, override_bs: int | None = None):
        reason = self.prefix_unsupported() if self._prefix_active else "not a loglikelihood call"
        if reason is None:
            return self._prefix_loglikelihood(requests, disable_tqdm)
        if self._prefix_active and not self._prefix_warned:
            log.warning("hf-prefix: %s; scoring with HFLM's own path", reason)
            self._prefix_warned = True
        return super()._loglikelihood_tokens(requests, disable_tqdm=disable_tqdm, override_bs=override_bs)

    def _prefix_loglikelihood(self, requests, disable_tqdm: bool) -> list[tuple[float, bool]]:
        start = time.perf_counter()
        trie, memo = Trie(), {}
        scored = [add_request(trie, ctx, cont, self.max_length, memo) for _, ctx, cont in requests]
        del memo
        needed: dict[int, set[int]] = {}
        for item in scored:
            for node, target in zip(item.nodes, item.targets, strict=True):
                needed.setdefault(node, set()).add(target)
        logprobs, slots, greedy = self._run_trie(trie, needed, disable_tqdm)
        res = []
        for (request_str, _, _), item in zip(requests, scored, strict=True):
            idx = torch.tensor([slots[(n, t)] for n, t in zip(item.nodes, item.targets)])
            answer = (float(logprobs[idx].sum()), all(greedy[n] == t for n, t in zip(item.nodes, item.targets)))
            res.append(answer)
            if request_str is not None:
                self.cache_hook.add_partial("loglikelihood", request_str, answer)
        self._record_stats(requests, trie, time.perf_counter() - start)
        return res

    def _run_trie(self, trie: Trie, needed: dict[int, set[int]], disable_tqdm: bool):
        """Run every node once; log-probs of the needed (node, target) pairs and each needed argmax."""
        from transformers import DynamicCache

        size = trie.subtree_sizes()
        cache, cached, calls, ran = DynamicCache(), 0, 0, 0
        chunks: list[torch.Tensor] = []
        slots: dict[tuple[int, int], int] = {}
        greedy: dict[int, int] = {}
        pbar = tqdm(total=len(trie), disable=disable_tqdm or self.rank != 0, desc="hf-prefix: trie nodes")
        for step in plan(trie, self.prefix_budget):
            if isinstance(step, Drop):
                crop(cache, step.n)
                cached -= step.n
                continue
            rows = [i for i, n in enumerate(step.nodes) if n in needed]
            logits = self._forward(trie, step.nodes, tree_ends(trie, step.nodes, size), cache, cached, rows)
            if step.keep:
                cached += len(step.nodes)
            else:
                crop(cache, len(step.nodes))
            calls, ran = calls + 1, ran + len(step.nodes)
            if rows:
                chunks.append(self._collect(logits, [step.nodes[i] for i in rows], needed, slots, greedy))
            pbar.update(len(step.nodes))
        pbar.close()
        self.prefix_stats.update(calls=calls, tokens_run=ran)
        return torch.cat(chunks) if chunks else torch.zeros(0), slots, greedy

    def _collect(self, logits, nodes: list[int], needed, slots, greedy) -> torch.Tensor:
        """HFLM's log_softmax over the kept rows; gather each row's targets, record its argmax."""
        logp = F.log_softmax(logits, dim=-1, dtype=self.softmax_dtype)
        for node, top in zip(nodes, logp.argmax(dim=-1).tolist(), strict=True):
            greedy[node] = top
        rows, cols = [], []
        for row, node in enumerate(nodes):
            for target in sorted(needed[node]):
                slots[(node, target)] = len(slots)
                rows.append(row)
                cols.append(target)
        picked = logp[torch.tensor(rows, device=logp.device), torch.tensor(cols, device=logp.device)]
        return picked.cpu()

    def _forward(self, trie: Trie, nodes: list[int], ends: list[int], cache, cached: int, rows: list[int]):
        """One forward call over `nodes` on top of the cached path; logits of `rows` only."""
        device = self.device
        ids = torch.tensor([trie.token[n] for n in nodes], dtype=torch.long, device=device)[None]
        pos = torch.tensor([trie.depth[n] for n in nodes], dtype=torch.long, device=device)[None]
        mask = tree_mask(ends, cached, self.model.dtype, device)
        params = inspect.signature(self.model.forward).parameters
        kwargs = {"cache" if "cache" in params else "past_key_values": cache, "use_cache": True}
        keep = "logits_to_keep" in params
        if keep:
            kwargs["logits_to_keep"] = torch.tensor(rows, dtype=torch.long, device=device)
        with (
            torch.no_grad(),
            torch.autocast(
                device_type=device.type,
                dtype=self.mixed_precision_dtype,
                enabled=self.mixed_precision_dtype is not None,
            ),
        ):
            logits = self.model(input_ids=ids, position_ids=pos, attention_mask=mask, **kwargs).logits[0]
        return logits if keep else logits[rows]

    def _record_stats(self, requests, trie: Trie, seconds: float) -> None:
        hf_tokens = sum(min(len(c) + len(x), self.max_length + 1) - 1 for _, c, x in requests)
        self.prefix_stats.update(
            requests=len(requests), hf_tokens=hf_tokens, trie_nodes=len(trie), seconds=round(seconds, 3)
        )
        log.info("hf-prefix: %s", self.prefix_stats)
        path = os.environ.get(STATS_ENV)
        if path and self.rank == 0:
            with open(path, "a") as fh:
                fh.write(json.dumps(self.prefix_stats) + "\n")


__all__ = ["HFPrefixLM", "NAME", "Scored", "crop", "main", "register", "tree_mask"]

if __name__ == "__main__":
    main()
