from django.core.management.base import BaseCommand, CommandError

from participation.models import Poll
from participation.queries import polls as poll_queries
from participation.services import polls as poll_services


class Command(BaseCommand):
    help = (
        "Recompte les résultats des sondages à partir des bulletins (après un import, ou "
        "pour réparer des compteurs). Sans argument : tous les sondages."
    )

    def add_arguments(self, parser):
        parser.add_argument("polls", nargs="*", type=int, help="identifiants des sondages")
        parser.add_argument(
            "--check",
            action="store_true",
            help="Comparer seulement, sans rien écrire ; code de sortie 1 en cas d'écart.",
        )

    def handle(self, *args, polls=(), check=False, **options):
        queryset = Poll.objects.order_by("pk")
        if polls:
            queryset = queryset.filter(pk__in=polls)
            missing = set(polls) - set(queryset.values_list("pk", flat=True))
            if missing:
                raise CommandError(
                    "Sondage(s) introuvable(s) : " + ", ".join(str(pk) for pk in sorted(missing))
                )
        total = queryset.count()
        differences = 0
        for number, poll in enumerate(queryset.iterator(), start=1):
            shown = poll_queries.results([poll])[poll.pk]
            counted = poll_queries.counted_from_ballots(poll)
            exact = (
                shown.participants == counted.participants
                and {k: v for k, v in shown.counts.items() if v} == counted.counts
            )
            state = "exact" if exact else "écart"
            differences += not exact
            if not exact and not check:
                poll_services.recount_tallies(poll)
                state = "recompté"
            self.stdout.write(
                f"[{number}/{total}] sondage {poll.pk} « {poll.title} » : "
                f"{counted.participants} bulletin{'s' if counted.participants > 1 else ''}, "
                f"{state}"
            )
        if check and differences:
            raise CommandError(f"{differences} sondage(s) avec des compteurs faux.")
        self.stdout.write(self.style.SUCCESS(f"{total} sondage(s) vérifié(s)."))
