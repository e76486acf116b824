"""Check a clientvault audit inclusion proof without clientvault: SHA-256 and Ed25519 only.

Usage: ``python verify_audit_proof.py PROOF.json PUBLIC_KEY_BASE64``

The public key must come from a channel you trust (the institution's published key, not the proof
file). Steps (RFC 6962 / RFC 9162 §2.1.3.2):

1. leaf = SHA-256(0x00 || entry as UTF-8 bytes);
2. fold the audit path: walk the index bits from the leaf up; a sibling on the left gives
   SHA-256(0x01 || sibling || node), on the right SHA-256(0x01 || node || sibling); a last node
   without a right sibling is carried up unchanged — the result must be the checkpoint's root;
3. the checkpoint body's ``size`` and ``root`` lines must be that tree size and that root;
4. the Ed25519 signature over the body's UTF-8 bytes must verify with the public key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_path(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes | None:
    if not 0 <= index < size:
        return None
    fn, sn, node = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            node = _node(sibling, node)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            node = _node(node, sibling)
        fn >>= 1
        sn >>= 1
    return node if sn == 0 else None


def check(document: dict[str, Any], public_key_b64: str) -> list[str]:
    """Every failed step, in words; an empty list means the proof holds."""
    failures = []
    entry = document["entry"].encode("utf-8")
    leaf = hashlib.sha256(b"\x00" + entry).digest()
    body = document["checkpoint"]["body"]
    lines = dict(line.split(" ", 1) for line in body.splitlines()[1:] if " " in line)
    size = int(lines.get("size", "-1"))
    root = root_from_path(int(document["leaf_index"]), size, leaf, [bytes.fromhex(h) for h in document["proof"]])
    if root is None or base64.b64encode(root).decode() != lines.get("root"):
        failures.append("the audit path does not lead from this entry to the checkpoint's root")
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64))
        key.verify(base64.b64decode(document["checkpoint"]["signature"]), body.encode("utf-8"))
    except (InvalidSignature, ValueError):
        failures.append("the checkpoint's signature does not verify with this public key")
    return failures


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as handle:
            document = json.load(handle)
        failures = check(document, argv[2])
    except OSError as exc:
        print(f"ERROR: cannot read {argv[1]}: {exc.strerror}")
        return 2
    except (ValueError, KeyError, TypeError) as exc:  # not JSON, or not a proof document
        print(f"ERROR: {argv[1]} is not a clientvault proof document ({type(exc).__name__}: {exc})")
        return 2
    for failure in failures:
        print(f"FAIL: {failure}")
    if not failures:
        print(f"OK: event {document['event_id']} is leaf {document['leaf_index']} of the signed tree of size {document['tree_size']}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
