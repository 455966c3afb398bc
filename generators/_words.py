"""Word lists shared by the families: a semantic lexicon and nonce-word makers (stdlib only)."""

from __future__ import annotations

import random
import string
from functools import lru_cache

# Common English nouns in six semantic categories, 48-50 each, all lowercase letters.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "animal": tuple("""cat dog horse cow sheep goat pig lion tiger bear wolf fox rabbit mouse rat
        deer moose camel zebra giraffe monkey gorilla panda koala kangaroo elephant rhino hippo
        otter beaver badger squirrel hamster donkey mule bison buffalo leopard cheetah jaguar
        hyena weasel ferret raccoon skunk chipmunk llama alpaca walrus seal""".split()),
    "fruit": tuple("""apple banana cherry grape lemon lime orange peach pear plum mango melon
        papaya kiwi apricot coconut fig date guava lychee olive quince raisin prune currant
        berry strawberry raspberry blueberry cranberry blackberry gooseberry pineapple
        watermelon cantaloupe tangerine clementine grapefruit pomegranate persimmon nectarine
        avocado kumquat mulberry elderberry passionfruit durian jackfruit starfruit""".split()),
    "vehicle": tuple("""car bus truck van taxi train tram bicycle motorcycle scooter tractor
        ambulance limousine jeep wagon cart sled sleigh canoe kayak boat ship yacht ferry
        submarine airplane helicopter jet glider rocket blimp balloon trolley minivan pickup
        bulldozer forklift skateboard unicycle tricycle moped rickshaw carriage caravan
        hovercraft raft barge tugboat sedan coupe""".split()),
    "tool": tuple("""hammer saw drill wrench screwdriver pliers chisel shovel rake hoe axe
        hatchet crowbar mallet file sander plane level ruler tape clamp vise ladder trowel
        spade pickaxe scythe sickle shears scissors knife awl gimlet auger lathe anvil tongs
        bellows pitchfork wheelbarrow crank jack grinder router stapler hacksaw sledgehammer
        spanner""".split()),
    "body": tuple("""head hair face eye ear nose mouth lip tooth tongue chin cheek neck
        shoulder arm elbow wrist hand finger thumb nail chest back belly waist hip leg knee
        ankle foot heel toe skin bone muscle heart lung liver kidney stomach brain spine rib
        skull throat forehead eyebrow eyelash jaw palm""".split()),
    "clothing": tuple("""shirt blouse sweater jacket coat vest dress skirt trousers jeans
        shorts sock shoe boot sandal slipper hat cap scarf glove mitten belt tie bowtie suit
        tuxedo pajamas robe apron uniform hoodie cardigan poncho raincoat overalls leggings
        tights stocking bikini swimsuit gown kimono sari tunic cloak shawl bonnet beret
        helmet sneaker""".split()),
}

LEXICON: tuple[str, ...] = tuple(w for words in CATEGORIES.values() for w in words)
CATEGORY_OF: dict[str, str] = {w: c for c, words in CATEGORIES.items() for w in words}

_CONSONANTS = "bdfgklmnprstvz"  # the nonce words' letters: consonant-vowel alternation, e.g. 'dabeki'
_VOWELS = "aeiou"


# Nonce words of 2 and 3 letters (consonant-vowel alternation over the letters above) that the default
# model's tokenizer (SmolLM2-135M-Instruct) encodes as ONE token after a space, as it does yes, no
# and the id variants' English words: the renamed and ood labels and word_order's words, so the
# three variants of a family match in tokens (docs/validity.md).  Made by
# `python perf/single_token_nonce.py` (the candidates, less the words of Debian's wamerican-large
# dictionary and its STOPLIST of abbreviations, contractions, foreign function words, spellings of
# English words and offensive strings); tests/test_token_lengths.py checks them against the tokenizer.
ONE_TOKEN_NONCE: dict[int, tuple[str, ...]] = {
    2: tuple("ev fi fu ig ke ov ro su ub ze zo zu".split()),
    3: tuple("""bab bak bas ber bif bil bip bir bos buf dil dop dut ele eru fal fel fet fif fil ful fus
        gor gul idi kar kel ker ket laz lif lig lod lof lum lun mer mor mul mur nar nug ove pag pav
        peb pel pil pim pir piv pur rab rav raz reb ren ris ros rud sar seb sil sor sug sul sut tal
        tid tul tur ure ves vig vir viv vor""".split()),
}
# The 3-letter ones that are one token at the start of a line too (no space before them).
ONE_TOKEN_NONCE_BARE: tuple[str, ...] = tuple("""bas ber bos buf ele fal fel fet fif fil ful fus idi
    kar kel ker ket lif lig lum mer mor mul mur nar ove pag pel pur rab rav raz reb ren ris ros sil
    sor tal tur ure ves vig vir vor""".split())


def nonce_label_pair(rng: random.Random) -> tuple[str, str]:
    """A 3-letter and a 2-letter nonce label, one token each like 'yes' and 'no' (and as long)."""
    return rng.choice(ONE_TOKEN_NONCE[3]), rng.choice(ONE_TOKEN_NONCE[2])


@lru_cache(maxsize=8)
def english_words(n: int) -> tuple[str, ...]:
    """English words of n-1..n+1 letters (mean within 5% of n): enough for a pool of 64."""
    return tuple(sorted({w for w in LEXICON if abs(len(w) - n) <= 1}))


class SpelledWordInputs:
    """Inputs of the families that rewrite a word letter by letter (cipher, string_edit): id
    inputs are English words of about ``cfg.length`` letters, renamed and ood ones uniform
    strings of exactly ``cfg.length`` letters; shown spelled out, one letter per token."""

    def sample_input(self, rng: random.Random, variant: str, cfg) -> str:
        if variant == "id":
            return rng.choice(english_words(cfg.length))
        return "".join(rng.choice(string.ascii_lowercase) for _ in range(cfg.length))

    def render_input(self, x: str) -> str:
        return " ".join(x)
