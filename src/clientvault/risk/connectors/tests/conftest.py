from __future__ import annotations

from collections.abc import Iterator

import pytest

from clientvault.risk.connectors.tests.loopback import FakeQichacha, FakeTianyancha, LoopbackServer
from clientvault.risk.connectors.tests.support import QCC, QCC_KEY, QCC_SECRET, TOKEN, K, qichacha_data, tianyancha_data


@pytest.fixture
def tyc_server() -> Iterator[LoopbackServer]:
    with LoopbackServer(FakeTianyancha(TOKEN, tianyancha_data())) as server:
        yield server


@pytest.fixture
def qcc_server() -> Iterator[LoopbackServer]:
    provider = FakeQichacha(QCC_KEY, QCC_SECRET, qichacha_data(), unpaged=frozenset({QCC[K.BUSINESS_ANOMALY]}))
    with LoopbackServer(provider) as server:
        yield server
