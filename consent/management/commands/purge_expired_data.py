from django.core.management.base import BaseCommand

from consent.models import PurgeStatus
from consent.services.purge import purge


class Command(BaseCommand):
    help = (
        "Applique toutes les règles de conservation du registre (comptes non vérifiés ou "
        "inactifs, exports, preuves de consentement…). --dry-run compte sans rien modifier."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="compter ce qui serait traité, sans rien changer"
        )
        parser.add_argument("--batch-size", type=int, default=None, help="lignes par lot")

    def handle(self, *args, dry_run=False, batch_size=None, **options):
        verbosity = options["verbosity"]
        if dry_run:
            self.stdout.write("Simulation : rien ne sera modifié.")

        def progress(result):
            if verbosity >= 1:
                self.stdout.write(f"  {result.key} : {result.rows} ligne(s) traitée(s)…")

        run = purge(dry_run=dry_run, batch_size=batch_size, progress=progress)
        if run.status == PurgeStatus.SKIPPED:
            self.stdout.write(
                self.style.WARNING("Une autre purge est en cours : rien n'a été fait.")
            )
            return
        self.stdout.write(self.table(run.results, dry_run))
        errors = run.errors
        for row in errors:
            self.stderr.write(
                self.style.ERROR(
                    f"Règle {row['rule']} en échec, annulée (les autres ont été appliquées) : "
                    f"{row['error']}"
                )
            )
        verb = "à traiter" if dry_run else "traitée(s)"
        summary = f"Total : {run.total} ligne(s) {verb}. Résumé enregistré (purge n° {run.pk})."
        self.stdout.write(self.style.WARNING(summary) if errors else self.style.SUCCESS(summary))
        if errors:
            raise SystemExit(1)

    @staticmethod
    def table(results, dry_run):
        header = ("règle", "durée", "action", "à traiter" if dry_run else "lignes", "état")
        rows = [
            (
                row["rule"],
                f"{row['days']} j",
                row["action"],
                str(row["rows"]),
                "ÉCHEC" if row["error"] else "ok",
            )
            for row in results
        ]
        widths = [max(len(line[i]) for line in [header, *rows]) for i in range(len(header))]

        def line(cells):
            return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))

        separator = "  ".join("-" * width for width in widths)
        return "\n".join([line(header), separator, *(line(row) for row in rows)])
