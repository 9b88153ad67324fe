"""WSGI entry point: in production it serves HTTP, while the ASGI one serves /ws/
(docs/operations.md explains why: sync views are ~3x faster under WSGI)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# As in config/asgi.py: what is loaded at start lives as long as the process, and the
# collector need not walk it again (a full collection paused one page for ~200 ms in
# benchmarks/thread.py).
gc.collect()
gc.freeze()
