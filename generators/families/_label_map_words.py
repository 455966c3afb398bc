"""label_map's lexicon: the six shared categories of _words plus twelve more (common English nouns).

The order is the order a config's ``n_categories`` takes them in; every word is lowercase
letters and belongs to one category only.
"""

from __future__ import annotations

from .._words import CATEGORIES as _SHARED

_MORE = {
    "bird": """sparrow robin eagle hawk falcon owl parrot pigeon dove crow raven swan goose duck gull
        pelican penguin ostrich emu flamingo heron stork vulture finch canary peacock turkey hen
        rooster woodpecker hummingbird albatross magpie quail""",
    "fish": """salmon trout tuna cod haddock herring sardine anchovy mackerel carp pike perch bass
        catfish eel shark halibut flounder sole tilapia minnow goldfish marlin swordfish barracuda
        piranha sturgeon snapper grouper mullet""",
    "insect": """ant bee wasp hornet fly mosquito beetle ladybird butterfly moth cricket grasshopper
        locust cockroach termite flea louse gnat dragonfly firefly aphid weevil earwig mantis
        cicada midge bumblebee caterpillar""",
    "vegetable": """carrot potato onion garlic cabbage lettuce spinach broccoli cauliflower celery
        cucumber pumpkin squash zucchini eggplant radish turnip beet parsnip leek pea bean kale
        asparagus artichoke yam okra shallot""",
    "flower": """rose tulip daisy lily orchid sunflower daffodil violet poppy lavender iris jasmine
        lilac marigold peony carnation dahlia magnolia begonia petunia geranium hyacinth buttercup
        dandelion zinnia camellia gardenia azalea primrose snowdrop""",
    "furniture": """chair table sofa couch bed desk stool bench wardrobe dresser cupboard bookcase
        shelf cabinet armchair ottoman recliner futon crib hammock sideboard footstool cot divan
        throne bunk loveseat chaise""",
    "instrument": """piano guitar violin cello viola harp flute clarinet oboe bassoon trumpet
        trombone tuba saxophone drum cymbal banjo mandolin ukulele accordion harmonica xylophone
        organ bagpipes tambourine lute sitar harpsichord""",
    "kitchenware": """pot pan kettle spoon fork ladle spatula whisk colander grater teapot mug cup
        plate bowl saucer jug pitcher skillet wok tray tureen sieve blender toaster teaspoon
        corkscrew peeler strainer""",
    "building": """house castle palace cottage tower church temple mosque cathedral barn shed
        garage hospital school library museum factory warehouse stadium theater hotel skyscraper
        lighthouse cabin hut mansion bungalow chapel prison bakery""",
    "drink": """water milk juice tea coffee cocoa soda lemonade beer wine cider whisky vodka rum gin
        brandy champagne smoothie milkshake espresso latte cappuccino kombucha lager ale sherry
        tequila""",
    "tree": """oak pine maple birch willow elm cedar spruce fir cypress redwood sequoia beech poplar
        alder hazel holly juniper larch yew sycamore chestnut walnut hickory eucalyptus baobab
        acacia teak mahogany""",
    "gem": """diamond ruby emerald sapphire pearl opal topaz amethyst jade garnet quartz onyx
        turquoise agate jasper zircon peridot beryl citrine tourmaline moonstone obsidian
        malachite lapis spinel aquamarine tanzanite alexandrite""",
}

CATEGORIES: dict[str, tuple[str, ...]] = {**_SHARED, **{k: tuple(v.split()) for k, v in _MORE.items()}}
ORDER: tuple[str, ...] = tuple(CATEGORIES)
CATEGORY_OF: dict[str, str] = {w: c for c, words in CATEGORIES.items() for w in words}

# Natural superordinate splits (familiar: a model knows them without demonstrations).
_ANIMATE = {"animal", "bird", "fish", "insect"}
_PLANT = {"fruit", "vegetable", "flower", "tree"}
_ARTEFACT = {"vehicle", "tool", "clothing", "furniture", "instrument", "kitchenware", "building"}
NATURAL_SPLITS: dict[str, frozenset] = {name: frozenset(s) for name, s in {
    "animate": _ANIMATE, "plant": _PLANT, "living": _ANIMATE | _PLANT,
    "living_or_body": _ANIMATE | _PLANT | {"body"}, "animate_or_body": _ANIMATE | {"body"},
    "artefact": _ARTEFACT, "artefact_or_drink": _ARTEFACT | {"drink"},
    "artefact_or_gem": _ARTEFACT | {"gem"}, "made_or_mined": _ARTEFACT | {"drink", "gem"},
    "edible": {"fruit", "vegetable", "drink"}, "food": {"fruit", "vegetable", "drink", "fish"},
    "produce": {"fruit", "vegetable"},
    "handheld": {"tool", "instrument", "kitchenware"}, "household": {"furniture", "kitchenware"},
    "home": {"furniture", "kitchenware", "building"}, "moves": _ANIMATE | {"vehicle"},
    "flies": {"bird", "insect"}, "large": {"vehicle", "building"}, "worn": {"clothing", "gem"},
    "kitchen": {"kitchenware", "drink", "fruit", "vegetable"},
    "garden": {"flower", "tree", "vegetable", "insect", "bird"},
}.items()}
