"""RFC 6962 Merkle Tree Hash over a sequence of entries (leaf and node hashes domain-separated)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class MerkleTree:
    """MTH(D[n]) built as entries arrive: a stack of perfect subtrees, so memory grows with log(n).

    Folding the stack from the right gives RFC 6962's recursive split at the largest power
    of two below n.
    """

    def __init__(self):
        self._subtrees: list[tuple[int, bytes]] = []  # (height, hash), left to right
        self.size = 0

    def add(self, entry: bytes) -> None:
        height, digest = 0, leaf_hash(entry)
        while self._subtrees and self._subtrees[-1][0] == height:
            digest, height = node_hash(self._subtrees.pop()[1], digest), height + 1
        self._subtrees.append((height, digest))
        self.size += 1

    def root(self) -> str:
        if not self._subtrees:
            return hashlib.sha256(b"").hexdigest()
        digest = self._subtrees[-1][1]
        for _height, left in reversed(self._subtrees[:-1]):
            digest = node_hash(left, digest)
        return digest.hex()


def merkle_root(entries: Iterable[bytes]) -> str:
    tree = MerkleTree()
    for entry in entries:
        tree.add(entry)
    return tree.root()
