"""`make run` in one process: check the services, migrate only when a migration is
waiting, load the demo into an empty site, point the demo's Wagtail Site at the address
served, then serve HTTP and WebSocket with uvicorn, with the scheduler
(participation.schedule) in a thread.

One Python process instead of four (preflight, migrate, load_demo, uvicorn): Django and
Wagtail take seconds to import on a busy machine, and a warm start had nothing else to do.

Background tasks (e-mails, the visits flush, figures): with the immediate backend (the
embedded configuration) they run inside the process that enqueues them; with the
database backend (DATABASE_URL set) this command also starts `db_worker` beside the
server and stops it with the server, so e-mails leave without a second terminal.
"""

import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# Hostnames of a site that only ever ran on this machine (the demo's, Wagtail's default).
LOCAL_HOSTNAMES = {"localhost", "127.0.0.1", "[::1]", "::1"}


def pending_migrations() -> int:
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def point_local_site_at(host: str, port: int) -> bool:
    """In the embedded configuration, the default Site of a local run gets the address
    served, so links built from it (e-mails, share links, feeds) work. A site with a
    real hostname, or any production-like configuration, is left alone."""
    from wagtail.models import Site

    if settings.PRODUCTION_LIKE:
        return False
    site = Site.objects.filter(is_default_site=True).first()
    if site is None or site.hostname not in LOCAL_HOSTNAMES:
        return False
    if (site.hostname, site.port) == (host, port):
        return False
    if Site.objects.filter(hostname=host, port=port).exclude(pk=site.pk).exists():
        return False
    site.hostname, site.port = host, port
    site.save()
    return True


class Command(BaseCommand):
    help = "Prépare (si besoin) et sert Tribune : HTTP et WebSocket avec uvicorn."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=settings.TRIBUNE_HOST)
        parser.add_argument("--port", type=int, default=settings.TRIBUNE_PORT)
        parser.add_argument(
            "--no-serve", action="store_true", help="préparer seulement, sans servir"
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="ne pas lancer le worker de tâches (s'il est supervisé à part)",
        )

    def start_worker(self):
        """The tasks worker beside the server, when tasks go through the database."""
        from consent.tasks import worker_configured

        if not worker_configured():
            self.stdout.write("Tâches de fond (e-mails…) : exécutées aussitôt, dans le serveur.")
            return None
        self.stdout.write("Tâches de fond (e-mails…) : worker db_worker lancé à côté du serveur.")
        return subprocess.Popen(  # noqa: S603 — our own manage.py, no outside input
            [sys.executable, str(settings.BASE_DIR / "manage.py"), "db_worker"]
        )

    def rebuild_search_index_if_older(self):
        """Pages indexed before the index changed (cms.search.INDEX_VERSION) are
        indexed again once; the version reached is kept under var/."""
        from cms.search import INDEX_VERSION

        marker = settings.VAR_DIR / "search-index-version"
        if marker.exists() and marker.read_text().strip() == INDEX_VERSION:
            return
        self.stdout.write("Index de recherche à reconstruire…")
        call_command("update_index", verbosity=0)
        marker.write_text(INDEX_VERSION)

    def handle(self, *args, host, port, no_serve=False, no_worker=False, **options):
        from participation import demo

        call_command("preflight", stdout=self.stdout, stderr=self.stderr)
        waiting = pending_migrations()
        if waiting:
            self.stdout.write(f"{waiting} migration(s) à appliquer…")
            call_command("migrate", interactive=False, stdout=self.stdout)
        self.rebuild_search_index_if_older()
        if demo.is_loaded():
            self.stdout.write("Le site contient déjà des pages : démo non chargée.")
        else:
            call_command("load_demo", stdout=self.stdout)
        base_url = f"http://{host}:{port}"
        if point_local_site_at(host, port):
            self.stdout.write(f"Site Wagtail par défaut : {base_url}")
        self.stdout.write(demo.logins(base_url))
        mode = "débogage (DJANGO_DEBUG=true)" if settings.DEBUG else "comme en production"
        self.stdout.write(f"\nTribune : {base_url}/  — {mode} (Ctrl+C pour arrêter)")
        if no_serve:
            return
        import uvicorn

        from participation import schedule

        # Scheduled publishing, figures and the nightly purge, without a cron line.
        schedule.start_thread()

        worker = None if no_worker else self.start_worker()
        try:
            uvicorn.run(
                "config.asgi:application",
                host=host,
                port=port,
                ws="websockets-sansio",
                lifespan="off",
                log_level="info",
            )
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
