"""WSGI entry point: in production it serves HTTP, while the ASGI one serves /ws/
(docs/operations.md explains why: sync views are ~3x faster under WSGI)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()
