from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = _("Consent and personal data")

    def ready(self):
        from django.db.models.signals import post_migrate

        from consent import registry, tasks

        # Each app's privacy.py registers its data, the way admin.py registers models.
        registry.autodiscover()
        post_migrate.connect(tasks.schedule_after_migrate, sender=self)
