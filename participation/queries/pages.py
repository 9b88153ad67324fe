"""What the anonymous page cache (cms.pagecache) reads of participation."""

from participation.events import PUBLIC
from participation.models import LiveEvent


def newest_public_event(page_id: int) -> int:
    """The newest public event of the consultation's live journal (0 for a page that is
    not a consultation, or a quiet one): one query on the journal's (consultation,
    audience, id) index. Every public change of a consultation page is journaled, so a
    page built before it is stale."""
    newest = (
        LiveEvent.objects.filter(consultation_id=page_id, audience=PUBLIC)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    return newest or 0
