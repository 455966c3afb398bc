"""The fine-tuning engine: the recipe table, the model with its adapter slots, the training loop, scoring.

The loop follows nanoGPT's ``train.py``: a frozen recipe, then lr, batch, step and log in
one visible loop.  Two decisions keep training and scoring the same objective:

- A demo is tokenised exactly as lm-eval tokenises a ``_k0`` request (``_encode_pair``:
  encode context + continuation, split at the length of the encoded context), with context
  ``render_prompt([], input)`` and continuation ``" " + output``.  The loss is the mean
  negative log-likelihood of the continuation tokens only.
- No EOS is appended: scoring sums the log-probabilities of the continuation tokens and
  never sees an EOS, and in the prompt a demo is followed by ``"\\n"``, not by EOS.  An
  EOS target would train something the score never measures.

Speed: LoRA runs train together.  Every budget of an episode has its own peft adapter (a
*slot*); one batch holds every run's demos, each row routed through its own adapter (peft's
mixed-adapter forward).  The runs stay independent: each run's loss touches only its own
adapter, gradients are clipped per run, and AdamW is elementwise.  Only the logits at target
positions are computed (hidden states -> gather -> lm_head).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import warnings
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, replace
from types import MappingProxyType
from typing import Callable, Mapping, Sequence

from .generators import Episode, render_prompt

FINETUNE_VERSION = 3
"""Bumped whenever a change to the protocol (format, loss, recipe table) can move a score.
History in docs/finetune.md ("Versions")."""
METHODS = ("lora", "full")
DEV_SEED = 1
"""The development seed of the hyperparameter sweep: never the published seed."""


@dataclass(frozen=True)
class Recipe:
    """One budget's training recipe: AdamW at a constant learning rate after ``warmup`` steps."""

    lr: float
    steps: int
    batch: int = 16  # demos per optimizer step; a budget <= batch trains on all its demos every step
    warmup: int = 0
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0

    def __post_init__(self) -> None:
        if not (self.lr > 0 and self.steps >= 0 and self.batch >= 1 and self.warmup >= 0):
            raise ValueError(f"recipe {self}: needs lr > 0, steps >= 0, batch >= 1, warmup >= 0")


@dataclass(frozen=True)
class LoraSettings:
    r: int = 16
    alpha: int = 32
    dropout: float = 0.0
    target_modules: str = "all-linear"


LORA = LoraSettings()

# Chosen by `ood-icl finetune --select-hparams [--method full] --budgets 1,4,16` on DEV_SEED (12
# tasks, one episode each; figures in docs/finetune.md, docs/recipe_sweep_lora.json and
# docs/recipe_sweep_full.json; a test ties this table to those records).  A budget between
# entries takes the nearest entry in log scale; past the last, its steps scale (recipe_for).
RECIPES: Mapping[tuple[str, int], Recipe] = MappingProxyType({
    ("lora", 1): Recipe(lr=3e-3, steps=5),
    ("lora", 4): Recipe(lr=3e-3, steps=10),
    ("lora", 16): Recipe(lr=1e-3, steps=5),
    ("full", 1): Recipe(lr=3e-4, steps=5),
    ("full", 4): Recipe(lr=1e-4, steps=10),
    ("full", 16): Recipe(lr=1e-4, steps=10),
})


def recipe_for(method: str, budget: int, table: Mapping[tuple[str, int], Recipe] | None = None) -> Recipe:
    """The table's recipe for the budget nearest to ``budget`` in log scale (ties: the smaller).

    Past the table's largest budget B, B's recipe with its steps scaled by budget / max(B, batch):
    the same number of passes over the demos (a budget of 64 takes 4 batches per pass).  Such a
    recipe is extrapolated, not swept: ``--select-hparams --budgets 64`` sweeps it.
    """
    table = RECIPES if table is None else table
    budgets = sorted(b for m, b in table if m == method)
    if not budgets:
        raise ValueError(f"method={method!r}: no recipe; one of {', '.join(METHODS)}")
    top = budgets[-1]
    if budget > top:
        r = table[(method, top)]
        return replace(r, steps=math.ceil(r.steps * budget / max(top, r.batch)))
    return table[(method, min(budgets, key=lambda b: (abs(math.log(b) - math.log(max(budget, 1))), b)))]


def unit_generator(train_seed: int, data_seed: int, family: str, variant: str, episode: int, budget: int):
    """The torch.Generator of one training run, seeded from a SHA-256 of its identity."""
    import torch

    blob = json.dumps(["finetune", str(train_seed), str(data_seed), family, variant, str(episode), str(budget)],
                      separators=(",", ":"))
    seed = int.from_bytes(hashlib.sha256(blob.encode()).digest()[:8], "big") & ((1 << 63) - 1)
    return torch.Generator().manual_seed(seed)


Pair = tuple[list[int], list[int]]  # (context tokens, continuation tokens)


def deterministic_cuda() -> None:
    """Deterministic kernels on CUDA, so a resumed run equals an uninterrupted one there too.

    cuBLAS needs its workspace fixed before its first call (CUBLAS_WORKSPACE_CONFIG), and some
    CUDA kernels (index_add, the memory-efficient and cuDNN attention backward) add with atomics
    unless torch's deterministic mode picks their deterministic variants, which it does only
    with warn_only=False (with warn_only=True the attention backward warns and stays
    non-deterministic).  tests/test_finetune_cuda.py checks that a killed and resumed run is
    byte-identical on the GPU it runs on.
    """
    import os

    import torch

    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True)


# ----------------------------------------------------------------------------- model


class Learner:
    """A causal LM that resets to its base weights, trains, and scores; LoRA with ``slots`` adapters.

    ``dtype`` is the compute dtype.  LoRA keeps the frozen base in it and the adapters in
    float32 (peft's autocast_adapter_dtype); full fine-tuning keeps float32 master weights and
    runs the forward under autocast when ``dtype`` is bfloat16 (pure-bf16 AdamW loses small updates).
    """

    def __init__(self, model_path: str, method: str, *, slots: int = 1, dtype: str = "bfloat16",
                 device: str = "cpu", gguf_file: str | None = None, lora: LoraSettings = LORA):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if method not in METHODS:
            raise ValueError(f"method={method!r}: must be one of {', '.join(METHODS)}")
        if dtype not in ("bfloat16", "float32"):
            raise ValueError(f"dtype={dtype!r}: must be bfloat16 or float32")
        if method == "full" and slots != 1:
            raise ValueError("full fine-tuning has one slot: it trains one run at a time")
        self.method, self.device, self.dtype = method, torch.device(device), getattr(torch, dtype)
        if self.device.type == "cuda":
            deterministic_cuda()
        extra = {"gguf_file": gguf_file} if gguf_file else {}
        self.tokenizer = AutoTokenizer.from_pretrained(model_path, **extra)
        model = AutoModelForCausalLM.from_pretrained(
            model_path, dtype=self.dtype if method == "lora" else torch.float32, **extra)
        self.slots = [f"s{i}" for i in range(slots)] if method == "lora" else [None]
        if method == "lora":
            model = self._add_adapters(model, lora)
        self.model = model.to(self.device)
        # eval mode throughout: no dropout in training or scoring (LoRA dropout is refused too), so a
        # run draws nothing from the global RNG and scores as lm-eval's _k0 does (model.eval())
        self.model.eval()
        self.slot_params = {s: [p for n, p in self.model.named_parameters()
                                if s is None or f".lora_A.{s}." in n or f".lora_B.{s}." in n] for s in self.slots}
        self._base = None if method == "lora" else [p.detach().clone() for p in self.slot_params[None]]
        self._autocast = method == "full" and self.dtype != torch.float32
        self._softcap = getattr(self.model.config, "final_logit_softcapping", None)

    def _add_adapters(self, model, lora: LoraSettings):
        from peft import LoraConfig, get_peft_model
        from peft.tuners.lora import LoraLayer

        if lora.dropout:
            raise ValueError(f"lora.dropout={lora.dropout}: the routed forward (_route) has no dropout")

        config = LoraConfig(r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
                            target_modules=lora.target_modules, bias="none", task_type="CAUSAL_LM")
        with warnings.catch_warnings():  # peft calls a transformers API deprecated in v5
            warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing", category=FutureWarning)
            model = get_peft_model(model, config, adapter_name=self.slots[0], autocast_adapter_dtype=True)
            for slot in self.slots[1:]:
                model.add_adapter(slot, config)
        for name, p in model.named_parameters():
            p.requires_grad_(".lora_A." in name or ".lora_B." in name)
        self._lora_layers = [m for m in model.modules() if isinstance(m, LoraLayer)]
        return model

    @contextmanager
    def _route(self, adapters: Sequence[str] | None):
        """Route row i of the batch through adapter ``adapters[i]`` ("__base__": none).

        peft's ``adapter_names`` does this at inference by gathering each adapter's rows with
        index lists, which costs a quarter of a training step here.  Our rows come in blocks
        (one run's demos after another's), so each adapter's delta is computed on a slice: every
        LoRA layer is told to use no adapter ("__base__", peft's own name for that) and a forward
        hook adds ``lora_B(lora_A(x)) * scaling`` block by block, with peft's own modules.
        """
        if adapters is None or self.method != "lora":
            yield
            return
        names = list(adapters)
        blocks = [(name, len(list(group))) for name, group in itertools.groupby(names)]
        base = ["__base__"] * len(names)

        def no_adapter(module, args, kwargs):
            kwargs["adapter_names"] = base
            return args, kwargs

        def add_deltas(module, args, output):
            x, parts, start = args[0], [], 0
            for name, n in blocks:
                if name == "__base__":
                    parts.append(output.new_zeros((n,) + output.shape[1:], dtype=torch.float32))
                else:
                    lora_x = x[start:start + n].to(module.lora_A[name].weight.dtype)
                    parts.append(module.lora_B[name](module.lora_A[name](lora_x)) * module.scaling[name])
                start += n
            # as peft's own forward: the float32 delta is added in float32 and rounded once
            return (output + torch.cat(parts).float()).to(output.dtype)

        import torch

        handles = [h for m in self._lora_layers for h in (m.register_forward_pre_hook(no_adapter, with_kwargs=True),
                                                          m.register_forward_hook(add_deltas))]
        try:
            yield
        finally:
            for h in handles:
                h.remove()

    # -- reset -----------------------------------------------------------------------
    def reset(self, slot: str | None, gen) -> None:
        """Back to the base weights: the slot's LoRA A redrawn from ``gen``, B = 0 (peft's init)."""
        import torch

        with torch.no_grad():
            if self._base is not None:
                for p, p0 in zip(self.slot_params[None], self._base):
                    p.copy_(p0)
                return
            for name, p in self.model.named_parameters():
                if f".lora_A.{slot}." in name:  # kaiming_uniform(a=sqrt(5)) = U(+-1/sqrt(fan_in))
                    bound = 1.0 / math.sqrt(p.shape[1])
                    p.copy_(torch.empty(p.shape, dtype=torch.float32).uniform_(-bound, bound, generator=gen))
                elif f".lora_B.{slot}." in name:
                    p.zero_()

    # -- tokenisation (lm-eval's _encode_pair for causal models) ---------------------
    def encode_pair(self, context: str, continuation: str) -> Pair:
        n_spaces = len(context) - len(context.rstrip())
        if n_spaces:
            context, continuation = context[:-n_spaces], context[-n_spaces:] + continuation
        whole = self.tokenizer.encode(context + continuation)
        ctx = self.tokenizer.encode(context)
        return ctx, whole[len(ctx):]

    def encode_demos(self, demos: Sequence) -> list[Pair]:
        return [self.encode_pair(render_prompt([], d.input), " " + d.output) for d in demos]

    # -- the one forward ---------------------------------------------------------------
    def target_logprobs(self, pairs: Sequence[Pair], adapters: Sequence[str] | None = None):
        """Per row: the continuation tokens' log-probabilities (B, T), their mask, and argmax hits."""
        import torch

        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        seqs = [(ctx + cont)[:-1] for ctx, cont in pairs]
        width, n_out = max(map(len, seqs)), max(len(cont) for _, cont in pairs)
        ids = torch.full((len(seqs), width), pad, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        pos = torch.zeros((len(seqs), n_out), dtype=torch.long)
        tgt = torch.zeros((len(seqs), n_out), dtype=torch.long)
        tmask = torch.zeros((len(seqs), n_out), dtype=torch.bool)
        for b, ((ctx, cont), seq) in enumerate(zip(pairs, seqs)):  # right padding
            ids[b, :len(seq)] = torch.tensor(seq)
            mask[b, :len(seq)] = 1
            pos[b, :len(cont)] = torch.arange(len(ctx) - 1, len(ctx) - 1 + len(cont))  # logits at i predict i + 1
            tgt[b, :len(cont)] = torch.tensor(cont)
            tmask[b, :len(cont)] = True
        ids, mask, pos, tgt, tmask = (t.to(self.device) for t in (ids, mask, pos, tgt, tmask))
        autocast = torch.autocast(self.device.type, dtype=self.dtype) if self._autocast else nullcontext()
        with autocast, self._route(adapters):
            hidden = self.model.get_decoder()(input_ids=ids, attention_mask=mask).last_hidden_state
            picked = hidden.gather(1, pos.unsqueeze(-1).expand(-1, -1, hidden.shape[-1]))
            logits = self.model.get_output_embeddings()(picked).float()
        if self._softcap:
            logits = torch.tanh(logits / self._softcap) * self._softcap
        token_lp = logits.log_softmax(-1).gather(-1, tgt.unsqueeze(-1)).squeeze(-1) * tmask
        return token_lp, tmask, (logits.argmax(-1) == tgt) | ~tmask

    def run_losses(self, batches: Sequence[tuple[str | None, Sequence[Pair]]]):
        """One forward over several runs' batches; each run's mean NLL per continuation token."""
        import torch

        rows = [p for _, pairs in batches for p in pairs]
        adapters = [slot for slot, pairs in batches for _ in pairs]
        token_lp, tmask, _ = self.target_logprobs(rows, adapters)
        owner = torch.tensor([i for i, (_, pairs) in enumerate(batches) for _ in pairs], device=token_lp.device)
        nll = torch.zeros(len(batches), device=token_lp.device).index_add(0, owner, -token_lp.sum(-1))
        count = torch.zeros(len(batches), device=token_lp.device).index_add(0, owner, tmask.sum(-1).float())
        return nll / count

    def score(self, pairs: Sequence[Pair], adapters: Sequence[str] | None = None) -> list[tuple[float, bool]]:
        """(summed log-likelihood, is_greedy) per (context, continuation) pair: lm-eval's response."""
        import torch

        with torch.no_grad():
            token_lp, _, greedy = self.target_logprobs(pairs, adapters)
        return [(float(ll), bool(g)) for ll, g in zip(token_lp.sum(-1).tolist(), greedy.all(-1).tolist())]


# ----------------------------------------------------------------------------- training


@dataclass(frozen=True)
class Run:
    """One training run: an adapter slot, the demos (tokenised), the recipe and the run's generator."""

    slot: str | None
    pairs: tuple
    recipe: Recipe
    gen: object  # torch.Generator: adapter init (reset), then batch order


@dataclass(frozen=True)
class TrainLog:
    loss_before: float
    loss_after: float
    steps: int

    def as_dict(self) -> dict:
        return asdict(self)


def _eval_losses(learner: Learner, runs: Sequence[Run], max_rows: int = 128) -> list[float]:
    """Each run's loss on all of its demos, without gradients (in one forward when they fit)."""
    import torch

    with torch.no_grad():
        if sum(len(r.pairs) for r in runs) <= max_rows:
            return learner.run_losses([(r.slot, r.pairs) for r in runs]).tolist()
        out = []
        for run in runs:  # a budget of 256 need not sit in one batch
            nll = n = 0.0
            for i in range(0, len(run.pairs), max_rows):
                part = run.pairs[i:i + max_rows]
                tokens = sum(len(c) for _, c in part)
                nll += learner.run_losses([(run.slot, part)]).item() * tokens
                n += tokens
            out.append(nll / n)
        return out


def train(learner: Learner, runs: Sequence[Run], checkpoints: Sequence[int] = (),
          on_checkpoint: Callable[[int], None] | None = None) -> list[TrainLog]:
    """Reset and fine-tune every run (each in its own slot) together: nanoGPT's loop, in full.

    ``on_checkpoint(step)`` is called after each step listed in ``checkpoints`` (the sweep
    scores there: with a constant lr, stopping at step s is a run of s steps).
    """
    import torch

    runs = [r for r in runs if r.pairs]
    for run in runs:
        learner.reset(run.slot, run.gen)
    if not runs:
        return []
    optimizer = torch.optim.AdamW(
        [{"params": learner.slot_params[r.slot], "lr": r.recipe.lr, "weight_decay": r.recipe.weight_decay}
         for r in runs], betas=(0.9, 0.999), eps=1e-8, fused=learner.device.type in ("cpu", "cuda"))
    before = _eval_losses(learner, runs)
    orders: list[list[int]] = [[] for _ in runs]
    for step in range(1, max(r.recipe.steps for r in runs) + 1):
        active = [i for i, r in enumerate(runs) if step <= r.recipe.steps]
        batches = []
        for i in active:
            run, group = runs[i], optimizer.param_groups[i]
            # learning rate: linear warmup, then constant
            group["lr"] = run.recipe.lr * min(1.0, step / run.recipe.warmup) if run.recipe.warmup else run.recipe.lr
            # batch: every demo when they fit, else the next slice of a fresh permutation per epoch
            if len(run.pairs) <= run.recipe.batch:
                batches.append((run.slot, run.pairs))
                continue
            if len(orders[i]) < run.recipe.batch:
                orders[i] += torch.randperm(len(run.pairs), generator=run.gen).tolist()
            take, orders[i] = orders[i][:run.recipe.batch], orders[i][run.recipe.batch:]
            batches.append((run.slot, [run.pairs[j] for j in take]))
        # step: the runs' losses are summed; each touches only its own adapter
        learner.run_losses(batches).sum().backward()
        for i in active:
            if runs[i].recipe.max_grad_norm:
                torch.nn.utils.clip_grad_norm_(learner.slot_params[runs[i].slot], runs[i].recipe.max_grad_norm)
        optimizer.step()  # runs that have finished have no gradients: AdamW skips them
        optimizer.zero_grad(set_to_none=True)
        if on_checkpoint is not None and step in checkpoints:
            on_checkpoint(step)
    after = _eval_losses(learner, runs)
    return [TrainLog(b, a, r.recipe.steps) for b, a, r in zip(before, after, runs)]


# ----------------------------------------------------------------------------- scoring


def query_pairs(learner: Learner, episode: Episode) -> list[Pair]:
    """The ``_k0`` requests of every query, flattened: context ``q ->``, continuation ``" " + choice``."""
    return [learner.encode_pair(render_prompt([], q.input), " " + c) for q in episode.queries for c in q.choices]


def score_episode(learner: Learner, episode: Episode, slots: Sequence[str | None],
                  pairs: Sequence[Pair] | None = None) -> list[list[list[tuple[float, bool]]]]:
    """Per slot ("__base__" = no adapter), per query: lm-eval's (log-likelihood, is_greedy) per choice."""
    pairs = list(pairs if pairs is not None else query_pairs(learner, episode))
    flat = learner.score(pairs * len(slots), [s for s in slots for _ in pairs])
    out = []
    for j in range(len(slots)):
        per_slot, i = [], j * len(pairs)
        for q in episode.queries:
            per_slot.append(flat[i:i + len(q.choices)])
            i += len(q.choices)
        out.append(per_slot)
    return out
