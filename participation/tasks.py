"""Background work of participation, through Django's tasks (the database worker in
production, inline in the embedded configuration and the tests)."""

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
