from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipationConfig(AppConfig):
    name = "participation"
    verbose_name = _("Participation")

    def ready(self):
        from cms import queries
        from participation.models import Choice, Poll, Question

        # The consultation page remembers its polls' structure (queries.polls).
        queries.forget_when_changed(Poll, Question, Choice)
