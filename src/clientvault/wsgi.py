from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientvault.settings")
application = get_wsgi_application()

# Unsafe configuration does not start (ARCHITECTURE.md rule 10): gunicorn runs no system checks
# itself, so the application refuses to load when any security check reports an error.
from clientvault.startup import refuse_unsafe_configuration  # noqa: E402

refuse_unsafe_configuration()
