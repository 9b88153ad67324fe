"""The journal of what was broadcast, so a reader who lost the connection catches up.

Each public event is written here once, just before it is sent: its row id is the
cursor that the WebSocket message carries and that the catch-up endpoint takes
(`after=<cursor>`). Events that only carry the latest figure (supports, poll results)
replace their previous row (`key`), so the journal stays small however many supports
arrive. Rows older than TRIBUNE_LIVE_JOURNAL_HOURS are pruned as new ones are written:
a reader away longer than that reloads the page instead of catching up.
Nothing personal is stored: only what the public page shows.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LiveEvent(models.Model):
    consultation_id = models.BigIntegerField(_("consultation"))
    audience = models.CharField(_("audience"), max_length=20)
    type = models.CharField(_("type"), max_length=40)
    data = models.JSONField(_("data"), default=dict)
    # Events that carry only the latest state of one thing (supports of a comment,
    # results of a poll): a new one replaces the previous row.
    key = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("live event")
        verbose_name_plural = _("live events")
        indexes = [
            models.Index(fields=["consultation_id", "audience", "id"], name="live_event_after"),
            models.Index(fields=["key"], name="live_event_key"),
        ]

    def __str__(self) -> str:
        return f"{self.type} #{self.pk}"
