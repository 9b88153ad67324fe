"""Background work of participation, through Django's tasks (the database worker in
production, inline in the embedded configuration and the tests).

E-mails are sent here, never inside the request that caused them: a slow or absent SMTP
server must not hold a moderator's click or a publication. Services enqueue them with
`transaction.on_commit` (services.notifications.later), so nothing is sent for a write
that rolled back, and the task reads the rows again by id (arguments stay JSON)."""

import logging

from django.tasks import task

logger = logging.getLogger(__name__)


@task()
def rollup_recent(consultation_id=None):
    """Recompute the daily figures of the consultations still moving (see
    services.community.refresh_figures)."""
    from participation.services import community

    days = community.rollup_recent(consultation_id)
    logger.info("figures rolled up: %s day(s)", days)


@task()
def flush_visits():
    """Fold the page views counted in the cache into PageVisits (services.visits)."""
    from participation.services import visits

    moved = visits.flush()
    logger.info("visits flushed: %s", moved)


@task()
def fan_out_notifications(kind: str, object_id: int):
    """Create the notifications of one event and send its immediate e-mails, batch by
    batch (services.notifications.fan_out: safe to run again after a restart)."""
    from participation.services import notifications

    notifications.fan_out(kind, object_id)


@task()
def send_notification_digests(mode: str):
    """The daily or weekly digests (services.notifications.send_digests)."""
    from participation.services import notifications

    notifications.send_digests(mode)


@task()
def send_ban_email(ban_id: int):
    from participation.models import Ban
    from participation.services import notifications

    ban = Ban.objects.select_related("user").filter(pk=ban_id).first()
    if ban is not None:
        notifications.banned(ban)


@task()
def send_alert_emails(alert_id: int):
    from participation.models import ModerationAlert
    from participation.services import notifications

    alert = ModerationAlert.objects.select_related("consultation").filter(pk=alert_id).first()
    if alert is not None:
        notifications.alert_raised(alert)
