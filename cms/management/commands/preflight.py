from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cms import health

HINTS = {
    "database": (
        "la base de données",
        "Vérifiez DATABASE_URL et que PostgreSQL tourne, par exemple : "
        "pg_ctlcluster --skip-systemctl-redirect 15 main start",
    ),
    "cache": (
        "le cache",
        "Vérifiez REDIS_URL et que Redis tourne, par exemple : "
        'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
    ),
    "channel_layer": (
        "la couche de messages temps réel",
        "Vérifiez REDIS_URL et que Redis tourne.",
    ),
}


class Command(BaseCommand):
    requires_system_checks = []
    help = "Vérifie que la base de données, le cache et la couche temps réel répondent."

    def handle(self, *args, **options):
        results = health.states()
        failed = {name: error for name, (state, error) in results.items() if state != "up"}
        for name, (state, _error) in results.items():
            label = HINTS[name][0]
            mark = self.style.SUCCESS("ok") if state == "up" else self.style.ERROR("injoignable")
            self.stdout.write(f"  {label} : {mark}")
        # Redis only makes the site faster and live: without it Tribune serves, degraded.
        for name in [name for name in failed if name not in health.ESSENTIAL]:
            label, hint = HINTS[name]
            self.stdout.write(
                self.style.WARNING(
                    f"  Attention : {label} ne répond pas ({failed.pop(name)}) ; le site "
                    f"sert quand même, sans cache partagé ni direct.\n    {hint}"
                )
            )
        if failed:
            lines = ["Tribune ne peut pas démarrer :"]
            for name, error in failed.items():
                label, hint = HINTS[name]
                lines.append(f"  - {label} ne répond pas ({error}).\n    {hint}")
            if not settings.PRODUCTION_LIKE:
                lines.append("  (configuration embarquée : SQLite dans var/, sans Redis)")
            raise CommandError("\n".join(lines))
