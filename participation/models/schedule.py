"""When each scheduled job (participation.schedule) runs next, shared by every
scheduler process: a run is claimed by moving `next_run_at` forward with a conditional
UPDATE, so two schedulers (two machines, or a restart overlapping the old process)
never run the same occurrence twice."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ScheduledJob(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)
    next_run_at = models.DateTimeField(_("next run"))
    last_started_at = models.DateTimeField(_("last started"), null=True, blank=True)
    last_finished_at = models.DateTimeField(_("last finished"), null=True, blank=True)
    # Empty when the last run succeeded; otherwise the exception's one-line summary.
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")

    def __str__(self):
        return self.name
