"""The model being fine-tuned: a causal LM with adapter slots that resets, trains and scores.

Two decisions keep training and scoring the same objective:

- A demo is tokenised exactly as lm-eval tokenises a ``_k0`` request (``_encode_pair``:
  encode context + continuation, split at the length of the encoded context), with context
  ``render_prompt([], input)`` and continuation ``" " + output``.  The loss is the mean
  negative log-likelihood of the continuation tokens only.
- No EOS is appended: scoring sums the log-probabilities of the continuation tokens and
  never sees an EOS, and in the prompt a demo is followed by ``"\\n"``, not by EOS.  An
  EOS target would train something the score never measures.

Independence: LoRA runs train together (every budget of an episode has its own peft adapter,
a *slot*, and they share one optimizer step), but each run has a forward of its own: its rows,
padded to its own longest row, through its own adapter.  A run's numbers are then a function of
its own episode, budget, recipe and seeds, bit for bit, whatever trains or scores beside it (a
shared padded batch moved the last bits with the widths of the other runs, and training amplified
them: FINETUNE_VERSION 3).  Only the logits at target positions are computed (hidden states ->
gather -> lm_head).
"""

from __future__ import annotations

import itertools
import math
import os
import warnings
from contextlib import contextmanager, nullcontext
from typing import Sequence

from ..generators import render_prompt
from .recipe import LORA, METHODS, LoraSettings

CPU_NUMERICS = {"MKL_CBWR": "AVX2,STRICT", "ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"}
"""The CPU code paths of every fine-tuning process (FINETUNE_VERSION 7).  MKL picks its kernels by
the CPU and by the alignment of each buffer: on an AVX-512 machine one log-likelihood in 120
moved by 1 ulp between a run in one process and the same run in two (tests/test_finetune.py).
Its conditional numerical reproducibility (the AVX2 branch, strict: alignment-independent) and
ATen's and oneDNN's AVX2 kernels give the same bits in any process, and the same code paths on
every x86 CPU with AVX2 (equal bits there: MKL's documented guarantee, checked on one machine).  Read when the
libraries first compute, so set before any tensor op of the process; speed as fast as the default
on this project's CPU (docs/finetune.md).  Only where the CPU is known to have AVX2 (Linux's
/proc/cpuinfo): torch would run AVX2 kernels on a CPU without it, and dies of an illegal
instruction; elsewhere the libraries choose, as before version 7."""


def has_avx2(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """Whether this machine's CPU lists the avx2 flag (False where that cannot be read)."""
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as f:
            return any(line.startswith("flags") and "avx2" in line.split() for line in f)
    except OSError:
        return False


def pin_cpu_numerics() -> bool:
    """Set ``CPU_NUMERICS`` in this process's environment (before its first tensor op) where the
    CPU has AVX2; return whether it did."""
    if not has_avx2():
        return False
    os.environ.update(CPU_NUMERICS)
    return True


def set_threads(device: str, threads: int) -> None:
    """torch's CPU threads and code paths: float reductions, hence the last bits of a score, depend on them.

    The pin is read when the libraries first compute: in a process that computed before this call
    it does nothing, and that process's last bits may differ from a ``python -m ood_icl.finetune``
    run's.  ATen reports the code path it took: where that is not AVX2 (a CPU with AVX-512) such a
    process is told (a RuntimeWarning naming the fix) rather than left to differ silently.  On a
    CPU whose own choice is AVX2 a late pin cannot be seen this way (MKL's strict mode may still
    be missing there).
    """
    if device == "cpu":
        pinned = pin_cpu_numerics()
        import torch

        capability = torch.backends.cpu.get_cpu_capability()
        if pinned and capability != "AVX2":
            warnings.warn(
                f"this process computed before the fine-tuning's CPU code paths were pinned (ATen runs "
                f"{capability}, not AVX2): its scores may differ in the last bits "
                f"from `python -m ood_icl.finetune`'s; call ood_icl.finetune.learner.pin_cpu_numerics() "
                f"before the first tensor op, or run the command", RuntimeWarning, stacklevel=2)
        torch.set_num_threads(threads)


def default_dtype(device: str) -> str:
    """float32 on CPU, bfloat16 on CUDA.  On this project's CPUs (no AMX) a LoRA step on SmolLM2 runs
    1.7x faster in float32 than in bfloat16 (perf/finetune_step.py --dtype; docs/finetune.md)."""
    return "float32" if device == "cpu" else "bfloat16"


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

    def __init__(self, model_path: str, method: str, *, slots: int = 1, dtype: str = "float32",
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
        """Each run's mean NLL per continuation token, from a forward of its own (see the module doc)."""
        import torch

        losses = []
        for slot, pairs in batches:
            token_lp, tmask, _ = self.target_logprobs(pairs, [slot] * len(pairs))
            losses.append(-token_lp.sum() / tmask.sum())
        return torch.stack(losses)

    def score(self, pairs: Sequence[Pair], adapters: Sequence[str] | None = None) -> list[tuple[float, bool]]:
        """(summed log-likelihood, is_greedy) per (context, continuation) pair: lm-eval's response."""
        import torch

        with torch.no_grad():
            token_lp, _, greedy = self.target_logprobs(pairs, adapters)
        return [(float(ll), bool(g)) for ll, g in zip(token_lp.sum(-1).tolist(), greedy.all(-1).tolist())]
