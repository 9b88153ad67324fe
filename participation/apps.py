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

        from cms import pagecache
        from participation.queries.pages import newest_public_event

        # A kept anonymous page is rebuilt when its consultation's live journal moved:
        # a comment published, edited or moderated, supports, a poll's results.
        pagecache.register_stamp(newest_public_event)
