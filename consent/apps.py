from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = _("Consent and personal data")

    def ready(self):
        from consent import registry

        # Each app's privacy.py registers its data, the way admin.py registers models.
        registry.autodiscover()
