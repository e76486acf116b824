from __future__ import annotations

import logging

from clientvault.core.context import current_request_id


class RequestIdFilter(logging.Filter):
    """Stamp every log record with the current request id, so logs join up with audit events."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True
