"""Checking a backup: the manifest's signature, the files' hashes, and both streams decrypted end to end."""

from __future__ import annotations

from dataclasses import dataclass, field

from clientvault.backups import dumps, keys, keystore_dump, locks
from clientvault.backups import manifest as mf


@dataclass
class Verification:
    backup_id: str
    problems: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    data_bytes: int = 0
    keystore_rows: int | None = None

    def add(self, code: str, message: str) -> None:
        self.codes.append(code)
        self.problems.append(message)

    @property
    def ok(self) -> bool:
        return not self.problems


def check(backup_id: str) -> Verification:
    """Signature, file hashes, and a full decryption of both streams (every segment authenticates)."""
    report = Verification(backup_id)
    try:
        document = mf.read(backup_id)
    except mf.BackupInvalid as exc:
        report.add("manifest_missing", str(exc))
        return report
    if document.get("format") != mf.FORMAT or document.get("backup_id") != backup_id:
        report.add("manifest_mismatch", "manifest names another format or backup")
    if not mf.signature_ok(document):
        report.add("signature", "manifest signature does not verify")
        return report
    directory = mf.folder(backup_id)
    data = document["data"]
    if mf.facts(directory / data["file"]).sha256 != data["sha256"]:
        report.add("data_hash", "data file hash differs from the manifest")
    else:
        try:
            with (
                open(directory / data["file"], "rb") as raw,
                keys.load(backup_id, keys.DATA).new_decrypting_stream(raw, keys.associated_data(backup_id, keys.DATA)) as dec,
            ):
                while chunk := dec.read(dumps.CHUNK):
                    report.data_bytes += len(chunk)
            if report.data_bytes != data["plain_size"]:
                report.add("data_length", "data stream length differs from the manifest")
        except Exception as exc:
            report.add("data_decrypt", f"data stream does not decrypt: {type(exc).__name__}")
    ks = document["keystore"]
    if ks.get("destroyed_at"):
        return report
    path = directory / ks["file"]
    if not path.exists() or mf.facts(path).sha256 != ks["sha256"]:
        report.add("keystore_hash", "key-store file missing or its hash differs from the manifest")
        return report
    try:
        with locks.backups_lock(exclusive=False), mf.open_keystore(backup_id, document) as src:
            rows = sum(1 for r in keystore_dump.records(src, backup_id=backup_id) if "k" in r)
        report.keystore_rows = rows
        if rows != ks["rows"]:
            report.add("keystore_rows", "key-store row count differs from the manifest")
    except Exception as exc:
        report.add("keystore_decrypt", f"key-store stream does not decrypt: {type(exc).__name__}")
    return report
