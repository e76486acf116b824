"""The key-encryption key in an HSM through PKCS#11, against a real SoftHSM2 token (issue #11, item 5)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tink  # type: ignore[import-untyped]
from django.core.management import call_command
from tink import core  # type: ignore[import-untyped]

from clientvault import checks
from clientvault.core.context import system_context
from clientvault.crypto import cipher, kek, keyring, keystore, services
from clientvault.crypto.pkcs11_kek import Pkcs11Config, Pkcs11Unavailable, generate_key

pytestmark = pytest.mark.django_db(databases=["default", "keys"])
MODULE = "/usr/lib/softhsm/libsofthsm2.so"
PIN = "246810"
MODEL = "customers.customer"


@pytest.fixture(scope="module")
def token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A fresh SoftHSM2 token in a temporary directory (SoftHSM2 comes from Debian: .ci/run installs it)."""
    assert shutil.which("softhsm2-util") and Path(MODULE).exists(), "install softhsm2 (apt-get install -y softhsm2)"
    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)  # read when the module is first loaded in this process
    label = f"cv-{uuid.uuid4().hex[:8]}"
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin", "13579", "--pin", PIN],
        check=True,
        capture_output=True,
        env={**os.environ, "SOFTHSM2_CONF": str(conf)},
    )
    yield {"label": label, "folder": str(folder)}
    if previous is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous


@pytest.fixture
def hsm(settings: Any, token: dict[str, str], tmp_path: Path) -> Iterator[Any]:
    settings.CLIENTVAULT_PKCS11_MODULE = MODULE
    settings.CLIENTVAULT_PKCS11_TOKEN_LABEL = token["label"]
    settings.CLIENTVAULT_PKCS11_PIN = PIN
    settings.CLIENTVAULT_PKCS11_PIN_FILE = ""
    settings.CLIENTVAULT_PKCS11_KEY_LABEL = "clientvault-kek"
    settings.CLIENTVAULT_KEYS_DIR = str(tmp_path / "keys")
    keyring.reset_cache()
    keystore.cache.clear()
    yield settings
    keyring.reset_cache()
    keystore.cache.clear()


def test_keysets_are_created_rotated_and_read_through_the_token(hsm: Any, capsys: Any, django_capture_on_commit_callbacks: Any) -> None:
    call_command("keys", "pkcs11-genkey")
    assert "created" in capsys.readouterr().out
    call_command("keys", "pkcs11-genkey")
    assert "already present" in capsys.readouterr().out
    call_command("keys", "init")
    assert "keysets created" in capsys.readouterr().out
    kek_file = keyring.files().kek

    customer = uuid.uuid4()
    keystore.create_customer_key(customer)
    sealed = cipher.encrypt(customer, MODEL, "name", "王小明")

    # The keyset file opens only through the token: not under any master secret.
    text = kek_file.read_text()
    dev_master = kek.MasterSecretAead(kek.decode_master_key(kek.DEV_MASTER_KEY))
    with pytest.raises(core.TinkError):
        tink.json_proto_keyset_format.parse_encrypted(text, dev_master, keyring.KEK_ROLE)

    first = keyring.loaded().kek_primary_id
    with django_capture_on_commit_callbacks(execute=True):
        new_id = services.rotate_keys(ctx=system_context(channel="cli"), rewrap_now=True)
    keyring.reset_cache()
    keystore.cache.clear()
    assert keyring.loaded().kek_primary_id == new_id != first
    assert keystore.status()["pending_rewrap"] == 0
    assert cipher.decrypt(customer, MODEL, "name", sealed) == "王小明"
    call_command("keys", "status")
    assert json.loads(capsys.readouterr().out)["keyset_key_ids"] == [first, new_id]


def test_the_key_never_leaves_the_token(hsm: Any, token: dict[str, str]) -> None:
    import pkcs11

    config = kek.pkcs11_config(hsm)
    assert config is not None
    generate_key(config)
    session = pkcs11.lib(MODULE).get_token(token_label=token["label"]).open(user_pin=PIN)
    try:
        key = session.get_key(label="clientvault-kek")
        assert key[pkcs11.Attribute.SENSITIVE] is True and key[pkcs11.Attribute.EXTRACTABLE] is False
        assert key.key_length == 256
    finally:
        session.close()


def test_the_pin_may_come_from_a_file(hsm: Any, tmp_path: Path) -> None:
    pin_file = tmp_path / "pin"
    pin_file.write_text(PIN + "\n")
    hsm.CLIENTVAULT_PKCS11_PIN = ""
    hsm.CLIENTVAULT_PKCS11_PIN_FILE = str(pin_file)
    config = kek.pkcs11_config(hsm)
    assert config is not None and config.user_pin() == PIN
    generate_key(config)
    assert checks.check_pkcs11(None) == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"CLIENTVAULT_PKCS11_PIN": "000000"}, "PIN"),
        ({"CLIENTVAULT_PKCS11_TOKEN_LABEL": "no-such-token"}, "no PKCS#11 token"),
        ({"CLIENTVAULT_PKCS11_MODULE": "/nonexistent/libpkcs11.so"}, "module not found"),
        ({"CLIENTVAULT_PKCS11_KEY_LABEL": "no-such-key"}, "no AES key"),
        ({"CLIENTVAULT_PKCS11_PIN": "", "CLIENTVAULT_PKCS11_PIN_FILE": "/nonexistent/pin"}, "PIN file"),
    ],
)
def test_the_system_check_refuses_a_config_that_cannot_open_the_token(hsm: Any, change: dict[str, str], reason: str) -> None:
    config = kek.pkcs11_config(hsm)
    assert config is not None
    generate_key(config)
    assert checks.check_pkcs11(None) == []
    for name, value in change.items():
        setattr(hsm, name, value)
    [error] = checks.check_pkcs11(None)
    assert error.id == "clientvault.E030" and reason in error.msg


def test_without_a_module_the_master_secret_is_used(settings: Any) -> None:
    settings.CLIENTVAULT_PKCS11_MODULE = ""
    assert kek.pkcs11_config(settings) is None and checks.check_pkcs11(None) == []
    assert isinstance(kek.master_aead(master_key=settings.CLIENTVAULT_MASTER_KEY), kek.MasterSecretAead)


def test_a_config_error_is_not_hidden(tmp_path: Path) -> None:
    config = Pkcs11Config(module=str(tmp_path / "missing.so"), token_label="x", key_label="y", pin="1")
    with pytest.raises(Pkcs11Unavailable):
        generate_key(config)
