"""Shared fixtures: a tiny random causal LM built here (no downloads) and generated data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Fine-tuning processes pin their CPU code paths (ood_icl.finetune.learner.CPU_NUMERICS), read when
# torch first computes: this process runs fine-tuning in-process too, after other tests' forwards.
from ood_icl.finetune.learner import pin_cpu_numerics  # noqa: E402

pin_cpu_numerics()


def build_tiny_model(out: Path) -> Path:
    """A 2-layer Llama with a byte-level BPE trained on a few generated prompts."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    from ood_icl.dataset import BuildSpec, rows
    from ood_icl.generators import FAMILIES, VARIANTS, render_prompt

    corpus = [render_prompt(r["demos"], r["query"]) + " " + r["answer"]
              for f in FAMILIES for v in VARIANTS
              for r in rows(BuildSpec(f, v, seed=99, episodes=2, queries=1))]
    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(corpus, trainers.BpeTrainer(
        vocab_size=400, special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>",
                                   bos_token="<|endoftext|>", pad_token="<|endoftext|>")
    # A chat template, so that chat runs (--apply_chat_template) work on the tiny model too.
    fast.chat_template = ("{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}\n{% endfor %}"
                          "{% if add_generation_prompt %}<|assistant|>\n{% endif %}")
    torch.manual_seed(0)  # test code, not library code: the tiny model is reproducible
    config = LlamaConfig(vocab_size=len(fast), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=2048,
                         bos_token_id=fast.bos_token_id, eos_token_id=fast.eos_token_id,
                         pad_token_id=fast.pad_token_id, tie_word_embeddings=True)
    LlamaForCausalLM(config).save_pretrained(out)
    fast.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"))
