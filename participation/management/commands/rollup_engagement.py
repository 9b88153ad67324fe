"""Recompute the daily participation figures of the dashboard.

Run it from cron every hour (docs/operations.md); `--consultation ID` for one."""

from django.core.management.base import BaseCommand, CommandError

from participation.models import ConsultationPage
from participation.services import community


class Command(BaseCommand):
    help = "Recompute the daily participation figures shown in the Participation dashboard."

    def add_arguments(self, parser):
        parser.add_argument("--consultation", type=int, help="only this consultation (id)")
        parser.add_argument(
            "--open-only",
            action="store_true",
            help="only consultations open or closed in the last 7 days",
        )

    def handle(self, *args, consultation=None, open_only=False, **options):
        pages = ConsultationPage.objects.all()
        if consultation is not None:
            pages = pages.filter(pk=consultation)
            if not pages.exists():
                raise CommandError(f"Consultation {consultation} inconnue.")
        if open_only:
            from datetime import timedelta

            from django.db.models import Q
            from django.utils import timezone

            recent = timezone.now() - timedelta(days=7)
            pages = pages.filter(Q(closes_at__isnull=True) | Q(closes_at__gte=recent))
        days = community.rollup_all(pages)
        self.stdout.write(f"{pages.count()} consultation(s), {days} jour(s) de chiffres.")
