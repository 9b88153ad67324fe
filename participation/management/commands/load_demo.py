from django.core.management.base import BaseCommand

from participation import demo


class Command(BaseCommand):
    help = "Charge le site de démonstration « Ville de Démo » (sans effet s'il est déjà là)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Ne rien faire si le site contient déjà une page d'accueil.",
        )

    def handle(self, *args, if_empty=False, **options):
        if if_empty and demo.is_loaded():
            self.stdout.write("Le site contient déjà des pages : démo non chargée.")
            self.stdout.write(demo.logins())
            return
        self.stdout.write("Chargement du site de démonstration…")
        created = demo.load(self.stdout)
        # Community management: dashboard figures for the demo.
        from participation import demo_community

        demo_community.load()
        if created:
            self.stdout.write(self.style.SUCCESS(f"Démo chargée : {created} pages créées."))
        else:
            self.stdout.write(self.style.SUCCESS("Démo déjà en place : rien à créer."))
        self.stdout.write(demo.logins())
