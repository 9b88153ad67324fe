"""The scheduler process of production (deploy/Procfile `scheduler`): runs the jobs of
participation.schedule when they are due, until SIGTERM or Ctrl+C."""

import signal
import threading

from django.core.management.base import BaseCommand

from participation import schedule


class Command(BaseCommand):
    help = (
        "Lance les tâches planifiées (publication programmée, chiffres, purge) à leur heure ; "
        "--once : une seule passe."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="lancer ce qui est dû, une fois, puis s'arrêter"
        )

    def handle(self, *args, once=False, **options):
        if once:
            ran = schedule.run_due()
            self.stdout.write(f"{len(ran)} tâche(s) lancée(s) : {', '.join(ran) or 'aucune'}")
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write(
            "Planificateur : " + ", ".join(job.name for job in schedule.JOBS), ending="\n"
        )
        self.stdout.flush()
        schedule.loop(stop)
