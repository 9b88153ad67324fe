"""Fold the page views counted in the cache into the database (services.visits).

Visits start a flush by themselves every TRIBUNE_VISITS_FLUSH_SECONDS; this command
does it at once (before reading the figures, before stopping Redis, or from cron)."""

from django.core.management.base import BaseCommand

from participation.services import visits


class Command(BaseCommand):
    help = "Reporte dans la base les visites comptées dans le cache (Redis)."

    def handle(self, *args, **options):
        moved = visits.flush()
        self.stdout.write(f"{moved} visite(s) reportée(s) dans la base.")
