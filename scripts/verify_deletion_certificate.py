"""Check a clientvault deletion certificate without clientvault: the standard library and ``cryptography`` only.

Usage: ``python verify_deletion_certificate.py CERT.json PUBLIC_KEY_BASE64``

CERT.json is the downloaded certificate: ``{"certificate": {...}, "signature": base64, "key_id": hex, "algorithm":
"Ed25519"}``. The public key must come from a channel you trust (the institution's published key —
``clientvault lifecycle certificate-key`` — not the certificate file). Steps:

1. the signed bytes are ``certificate`` as JSON with sorted keys, no spaces (``,`` and ``:``), UTF-8, non-ASCII kept;
2. the key id is the first 16 hex digits of SHA-256 over the 32-byte public key and must match ``key_id``;
3. the Ed25519 signature must verify over those bytes with the public key.

Exit status 0 and "OK" when every step holds; 1 and the failed steps otherwise.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def check(document: dict[str, Any], public_key_b64: str) -> list[str]:
    """Every failed step, in words; an empty list means the certificate holds."""
    failures = []
    try:
        public_key = base64.b64decode(public_key_b64)
        body = canonical(document["certificate"])
        signature = base64.b64decode(document["signature"])
    except (KeyError, ValueError, TypeError) as exc:
        return [f"malformed certificate or key: {exc}"]
    if document.get("algorithm", "Ed25519") != "Ed25519":
        failures.append("unsupported algorithm")
    if hashlib.sha256(public_key).hexdigest()[:16] != document.get("key_id"):
        failures.append("key id does not match the public key")
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, body)
    except (InvalidSignature, ValueError):
        failures.append("signature does not verify")
    return failures


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as fh:
        document = json.load(fh)
    failures = check(document, argv[2].strip())
    if failures:
        for failure in failures:
            print(f"FAILED: {failure}")
        return 1
    cert = document["certificate"]
    print(f"OK: certificate {cert.get('certificate_id')} for customer {cert.get('customer_id')} issued {cert.get('issued_at')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
