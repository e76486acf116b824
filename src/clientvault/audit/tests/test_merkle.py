"""RFC 6962 Merkle hashing: the published Certificate Transparency vectors, and every proof shape."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientvault.audit import merkle

# RFC 6962 / Certificate Transparency reference inputs and tree heads for sizes 0..8.
CT_ENTRIES = [
    bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = {
    (0, 8): ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
    (5, 8): ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
             "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
}  # fmt: skip
LEAVES = [merkle.leaf_hash(e) for e in CT_ENTRIES]


def _leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


def _recursive_root(leaves: list[bytes]) -> bytes:
    """MTH exactly as RFC 6962 §2.1 writes it (recursive split), to check the iterative version."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return merkle.node_hash(_recursive_root(leaves[:k]), _recursive_root(leaves[k:]))


def test_domain_separated_hashes():
    assert merkle.leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert merkle.node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()
    assert merkle.leaf_hash(b"\x01ab") != merkle.node_hash(b"a", b"b"), "a leaf can never pass for a node"


@pytest.mark.parametrize("size", range(9))
def test_roots_match_the_published_ct_tree_heads(size):
    assert merkle.root(LEAVES[:size]).hex() == CT_ROOTS[size]


@pytest.mark.parametrize(("index", "size"), sorted(CT_INCLUSION))
def test_inclusion_proofs_match_the_published_vectors(index, size):
    proof = merkle.inclusion_proof(index, LEAVES[:size])
    assert [p.hex() for p in proof] == CT_INCLUSION[(index, size)]
    assert merkle.verify_inclusion(index, size, LEAVES[index], proof, bytes.fromhex(CT_ROOTS[size]))


@pytest.mark.parametrize("n", range(1, 41))
def test_iterative_root_equals_the_rfc_recursion(n):
    leaves = _leaves(n)
    assert merkle.root(leaves) == _recursive_root(leaves)


@pytest.mark.parametrize("n", range(1, 34))
def test_every_inclusion_proof_verifies_and_any_change_breaks_it(n):
    leaves = _leaves(n)
    top = merkle.root(leaves)
    for i in range(n):
        proof = merkle.inclusion_proof(i, leaves)
        assert merkle.verify_inclusion(i, n, leaves[i], proof, top)
        assert not merkle.verify_inclusion(i, n, merkle.leaf_hash(b"forged"), proof, top)
        if n > 1:
            assert not merkle.verify_inclusion((i + 1) % n, n, leaves[i], proof, top), "the position is bound"
            assert not merkle.verify_inclusion(i, n, leaves[i], proof[:-1], top), "a shortened path fails"
            bad = [merkle.node_hash(proof[0], proof[0]), *proof[1:]]
            assert not merkle.verify_inclusion(i, n, leaves[i], bad, top)
        assert not merkle.verify_inclusion(i, n, leaves[i], [*proof, top], top), "a lengthened path fails"
    assert merkle.root_from_inclusion(n, n, leaves[0], []) is None


@pytest.mark.parametrize("n", range(1, 26))
def test_every_consistency_proof_verifies_and_a_rewritten_history_does_not(n):
    leaves = _leaves(n)
    new_root = merkle.root(leaves)
    for m in range(1, n + 1):
        old_root = merkle.root(leaves[:m])
        proof = merkle.consistency_proof(m, leaves)
        assert merkle.verify_consistency(m, n, old_root, new_root, proof), (m, n)
        rewritten = [*leaves[: m - 1], merkle.leaf_hash(b"rewritten"), *leaves[m:]]
        assert not merkle.verify_consistency(m, n, old_root, merkle.root(rewritten), merkle.consistency_proof(m, rewritten))
        if m < n:
            assert not merkle.verify_consistency(m, n, merkle.leaf_hash(b"x"), new_root, proof)
    assert not merkle.verify_consistency(0, n, merkle.EMPTY_ROOT, new_root, [])


@given(st.lists(st.binary(max_size=40), min_size=1, max_size=60), st.data())
def test_inclusion_round_trip_for_arbitrary_entries(entries, data):
    leaves = [merkle.leaf_hash(e) for e in entries]
    i = data.draw(st.integers(0, len(leaves) - 1))
    proof = merkle.inclusion_proof(i, leaves)
    assert merkle.verify_inclusion(i, len(leaves), leaves[i], proof, merkle.root(leaves))


@pytest.mark.parametrize("n", range(0, 41))
def test_frontier_root_equals_the_full_root_at_every_size(n: int) -> None:
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(n)]
    frontier = merkle.Frontier()
    for leaf in leaves:
        frontier.append(leaf)
    assert frontier.size == n
    assert frontier.root() == merkle.root(leaves)
    # A frontier restored from its stored form continues exactly where it stopped.
    resumed = merkle.Frontier(frontier.size, frontier.hashes)
    resumed.append(merkle.leaf_hash(b"next"))
    assert resumed.root() == merkle.root([*leaves, merkle.leaf_hash(b"next")])


def test_frontier_refuses_a_shape_that_does_not_match_its_size() -> None:
    with pytest.raises(ValueError):
        merkle.Frontier(3, [merkle.EMPTY_ROOT])


@pytest.mark.parametrize("n", range(1, 41))
def test_level_proofs_equal_the_recursive_audit_paths(n: int) -> None:
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(n)]
    levels = merkle.Levels(leaves)
    assert levels.root() == merkle.root(leaves)
    for i in range(n):
        assert levels.inclusion_proof(i) == merkle.inclusion_proof(i, leaves)
