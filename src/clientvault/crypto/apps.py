from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CryptoConfig(AppConfig):
    name = "clientvault.crypto"
    label = "crypto"
    verbose_name = _("Encryption keys")

    def ready(self) -> None:
        from tink import aead, prf  # type: ignore[import-untyped]

        aead.register()
        prf.register()
