"""Demo figures for the Participation dashboard: 30 days of visits and
shares on every demo consultation, objectives on the bike plan, and the daily
figures rolled up from the demo threads and polls. Idempotent."""

import random
from datetime import timedelta

from django.utils import timezone

from participation.models import ConsultationPage, Objective, PageVisits, ShareCount
from participation.services import community


def load() -> int:
    """Returns the number of visit rows created (0 the second time)."""
    created = 0
    today = timezone.localdate()
    rng = random.Random(2026)  # noqa: S311 - demo figures, not secrets
    for page in ConsultationPage.objects.live():
        if PageVisits.objects.filter(page_id=page.pk).exists():
            continue
        visits, shares = [], []
        for offset in range(30):
            day = today - timedelta(days=offset)
            if day < timezone.localdate(page.opens_at):
                continue
            visits.append(PageVisits(page_id=page.pk, day=day, count=rng.randint(20, 180)))
            for network in ("linkedin", "facebook", "whatsapp", "email"):
                if rng.random() < 0.4:
                    shares.append(
                        ShareCount(
                            page_id=page.pk, day=day, network=network, count=rng.randint(1, 6)
                        )
                    )
        PageVisits.objects.bulk_create(visits)
        ShareCount.objects.bulk_create(shares)
        created += len(visits)
    bike = ConsultationPage.objects.filter(slug="plan-velo-2027").first()
    if bike is not None:
        for metric, target in (("participants", 500), ("answered_percent", 30)):
            Objective.objects.get_or_create(
                consultation=bike, metric=metric, defaults={"target": target}
            )
    community.rollup_all()
    return created
