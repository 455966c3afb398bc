"""The token trie behind the hf-prefix backend, and the order in which its nodes are run.

Pure Python, no torch: a request is the token sequence HFLM feeds the model and the positions
it scores; every distinct prefix becomes one trie node, so each node is one token position that
the model runs exactly once. `plan` walks the trie depth first and cuts it into forward calls:

* a subtree of at most `budget` nodes goes whole into a *pack*: its nodes in preorder, with a
  tree attention mask (a node sees the cached path above the pack and its own ancestors in the
  pack), several small sibling subtrees per pack; the pack's keys and values are dropped from the
  KV cache right after the call;
* a larger subtree has its top chain (down to the next branching node) run and *kept* in the
  cache, its children are planned the same way, and the chain is cropped off the cache once its
  subtree is done, so the cache never holds more than one root-to-node path.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field


@dataclass
class Trie:
    """Token trie: node ids grow with insertion, so a parent's id is always below its child's."""

    token: list[int] = field(default_factory=list)
    depth: list[int] = field(default_factory=list)
    children: list[dict[int, int]] = field(default_factory=list)
    roots: dict[int, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.token)

    def insert(self, tokens: Sequence[int]) -> list[int]:
        """The node ids along `tokens`, creating the missing ones."""
        path: list[int] = []
        kids = self.roots
        for tok in tokens:
            node = kids.get(tok)
            if node is None:
                node = len(self.token)
                kids[tok] = node
                self.token.append(tok)
                self.depth.append(len(path))
                self.children.append({})
            path.append(node)
            kids = self.children[node]
        return path

    def subtree_sizes(self) -> list[int]:
        size = [1] * len(self.token)
        for node in range(len(self.token) - 1, -1, -1):
            for child in self.children[node].values():
                size[node] += size[child]
        return size

    def preorder(self, node: int) -> list[int]:
        out: list[int] = []
        stack = [node]
        while stack:
            n = stack.pop()
            out.append(n)
            stack.extend(reversed(list(self.children[n].values())))
        return out


@dataclass
class Scored:
    """One request as the trie sees it: the nodes whose next-token distribution it scores."""

    nodes: list[int]
    targets: list[int]


def add_request(trie: Trie, context: Sequence[int], continuation: Sequence[int], max_length: int) -> Scored:
    """Insert one (context, continuation) pair exactly as HFLM's causal path feeds it.

    HFLM runs inp = (context + continuation)[-(max_length + 1):][:-1] and scores the last
    len(continuation) positions of inp against the continuation tokens.
    """
    whole = (list(context) + list(continuation))[-(max_length + 1):]
    path = trie.insert(whole[:-1])
    n = len(continuation)
    return Scored(nodes=path[len(path) - n:], targets=list(continuation))


@dataclass(frozen=True)
class Run:
    """One forward call: `nodes` in preorder over the cached path; `keep` leaves them in the cache."""

    nodes: list[int]
    keep: bool


@dataclass(frozen=True)
class Drop:
    """Crop the last `n` positions off the cache (a kept chain whose subtree is done)."""

    n: int


def _chain(trie: Trie, node: int) -> list[int]:
    """`node` and its single-child descendants, down to the first node that branches or ends."""
    chain = [node]
    while len(trie.children[chain[-1]]) == 1:
        chain.append(next(iter(trie.children[chain[-1]].values())))
    return chain


def _packs(trie: Trie, kids: list[int], size: list[int], budget: int) -> tuple[list[list[int]], list[int]]:
    """Small subtrees grouped into packs of at most `budget` nodes; the big ones returned apart."""
    packs: list[list[int]] = []
    current: list[int] = []
    big: list[int] = []
    for kid in kids:
        if size[kid] > budget:
            big.append(kid)
            continue
        if current and len(current) + size[kid] > budget:
            packs.append(current)
            current = []
        current.extend(trie.preorder(kid))
    if current:
        packs.append(current)
    return packs, big


def plan(trie: Trie, budget: int) -> Iterator[Run | Drop]:
    """Every node exactly once, each after its ancestors are in the cache or earlier in its pack."""
    size = trie.subtree_sizes()
    # Pending work, last first: ("kids", children of the cached path's end), ("big", a subtree
    # too large to pack) or ("drop", the length of a kept chain whose subtree is done).
    stack: list[tuple[str, object]] = [("kids", list(trie.roots.values()))]
    while stack:
        kind, item = stack.pop()
        if kind == "drop":
            yield Drop(item)  # type: ignore[arg-type]
        elif kind == "big":
            chain = _chain(trie, item)  # type: ignore[arg-type]
            yield Run(chain, keep=True)
            stack.append(("drop", len(chain)))
            stack.append(("kids", list(trie.children[chain[-1]].values())))
        else:
            packs, big = _packs(trie, item, size, budget)  # type: ignore[arg-type]
            for pack in packs:
                yield Run(pack, keep=False)
            stack.extend(("big", kid) for kid in reversed(big))


def tree_ends(trie: Trie, nodes: list[int], size: list[int]) -> list[int]:
    """For each node of a run, one past the last index (within the run) of its subtree."""
    return [i + size[n] for i, n in enumerate(nodes)]
