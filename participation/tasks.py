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
def send_decision_email(decision_id: int):
    """Tell a comment's author what moderation decided (services.notifications)."""
    from participation.models import ModerationDecision
    from participation.services import notifications

    decision = (
        ModerationDecision.objects.select_related("author", "comment__consultation")
        .filter(pk=decision_id)
        .first()
    )
    if decision is not None:
        notifications.decision_made(decision)


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


@task()
def notify_followers(consultation_id: int, follow_ids: list[int]):
    """The results e-mail to each follower not told yet (services.community)."""
    from participation.models import ConsultationPage
    from participation.services import community

    consultation = ConsultationPage.objects.filter(pk=consultation_id).first()
    if consultation is not None:
        community.notify_followers(consultation, follow_ids)
