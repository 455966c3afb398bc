"""The one-token nonce words of generators/_words.py: python perf/single_token_nonce.py [MODEL_DIR] [--dict PATH]

The renamed and ood variants answer with nonce labels and nonce words where the id variants say
yes / no or English words, one token each; a pronounceable nonce word of 3-4 letters costs 1.4-2
tokens, which made those variants' prompts and answers up to twice as long (docs/validity.md: the
three variants of a family within 15% in tokens).  This script lists the candidates of
consonant-vowel alternations over ``_words``' nonce letters of 2 and 3 letters
that the default model's tokenizer encodes as ONE token after a space (how an answer and every
word but a line's first are rendered), marks those that are one token at the start of a line as
well, and drops:

- words of a dictionary (``--dict``, default /usr/share/dict/words: Debian's wamerican-large,
  170,000 entries), compared in lower case, so names and abbreviations it lists go too;
- STOPLIST: what the dictionary misses but a reader still knows: contractions, abbreviations of
  text and code, function words of other languages, slang and spellings of English words,
  offensive strings.

It prints the constants that generators/_words.py commits (the generators stay stdlib-only and
need no tokenizer); tests/test_token_lengths.py checks the committed ones against the tokenizer.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

from transformers import AutoTokenizer

from ood_icl.generators._words import _CONSONANTS, _VOWELS, LEXICON
from ood_icl.generators.families._label_map_words import CATEGORY_OF
from ood_icl.model import DEFAULT_MODEL_NAME, cache_root

STOPLIST = frozenset("""
    im ve ol
    dev num pid sed seg ver det tem tok uri sel ret lim mov nas
    das des von une por vin vis mal mis ole
    ded fav gon kil lik nud sav sus vap vom vot bom vit liv rul saf gir
    nig vag
""".split())


def candidates(n_letters: int):
    """Every consonant-vowel alternation of this many letters over _words' nonce letters, in a fixed order."""
    for start in (0, 1):
        sets = [_CONSONANTS if (i + start) % 2 == 0 else _VOWELS for i in range(n_letters)]
        yield from ("".join(t) for t in itertools.product(*sets))


def one_token(tok, text: str) -> bool:
    return len(tok(text, add_special_tokens=False)["input_ids"]) == 1


def single_token_nonce(tok, dictionary: set[str], n_letters: int) -> tuple[list[str], list[str]]:
    """(one token after a space, the subset also one token at the start of a line), sorted."""
    known = dictionary | set(LEXICON) | set(CATEGORY_OF) | STOPLIST
    spaced = sorted(w for w in candidates(n_letters) if w not in known and one_token(tok, " " + w))
    return spaced, [w for w in spaced if one_token(tok, w)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", nargs="?", default=str(cache_root() / "models" / DEFAULT_MODEL_NAME))
    ap.add_argument("--dict", default="/usr/share/dict/words", help="one word a line (apt-get install wamerican-large)")
    args = ap.parse_args()
    if not Path(args.dict).is_file():
        raise SystemExit(f"--dict {args.dict}: no such file (apt-get install wamerican-large)")
    tok = AutoTokenizer.from_pretrained(args.model)
    dictionary = {line.strip().lower() for line in open(args.dict, encoding="utf-8") if line.strip()}
    two, _ = single_token_nonce(tok, dictionary, 2)
    three, bare = single_token_nonce(tok, dictionary, 3)
    print(f"# {len(two)} of 2 letters, {len(three)} of 3 ({len(bare)} also one token at a line's start)")
    print(f"ONE_TOKEN_NONCE: dict[int, tuple[str, ...]] = {{\n    2: {tuple(two)!r},\n    3: {tuple(three)!r},\n}}")
    print(f"ONE_TOKEN_NONCE_BARE: tuple[str, ...] = {tuple(bare)!r}")


if __name__ == "__main__":
    main()
