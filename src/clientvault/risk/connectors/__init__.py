"""External early-warning connectors (issue #16): 天眼查 and 企查查 court, enforcement, register and change records.

``registry.fetch_indicators(uscc, name)`` asks every configured provider and returns typed
:class:`~clientvault.risk.connectors.indicators.Indicator` values; ``config`` documents the settings;
``tianyancha`` and ``qichacha`` record what each provider's protocol is and how sure we are of it.
Nothing here touches the network at import time, and an unconfigured provider is never contacted.
"""
