"""Two moderators act on the same comment at the same moment, on a real database
(PostgreSQL in CI's second run): one action wins, the other gets a clear message, and
nothing is applied twice."""

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import roles
from participation.models import Comment, ModerationDecision, State, ThreadStats
from participation.services import comments
from participation.services import moderation as services
from tests import factories
from tests.participation.test_comment_concurrency import at_once


@pytest.fixture
def desk(committed_database, django_db_blocker):
    from wagtail.models import Page

    from accounts.models import User
    from participation.models import CommentModeration, ConsultationPage

    with django_db_blocker.unblock():
        roles.create_groups()
        consultation = factories.add_page(
            Page.get_first_root_node(),
            ConsultationPage(
                title="Sous tension",
                slug=f"sous-tension-{uuid.uuid4().hex[:8]}",
                summary="Résumé.",
                body=[],
                opens_at=timezone.now() - timedelta(days=1),
                comment_moderation=CommentModeration.A_PRIORI,
            ),
        )
        tag = uuid.uuid4().hex[:8]
        author = factories.UserFactory(email=f"auteur-{tag}@exemple.test")
        moderators = [
            factories.UserFactory(
                email=f"moderation-{n}-{tag}@exemple.test", role=roles.MODERATORS, is_staff=True
            )
            for n in range(2)
        ]
        try:
            yield consultation, author, moderators
        finally:
            consultation.delete()
            User.objects.filter(pk__in=[author.pk, *(m.pk for m in moderators)]).delete()


def attempt(action):
    try:
        action()
        return "ok"
    except ValidationError as error:
        return error.messages[0]


def test_publish_and_reject_at_once_one_wins(desk):
    consultation, author, (first, second) = desk
    comment = comments.post_comment(author=author, consultation=consultation, body="Un avis.")
    results = at_once(
        lambda action: attempt(action),
        [
            (
                lambda: services.publish(
                    moderator=first, comment=Comment.objects.get(pk=comment.pk)
                ),
            ),
            (
                lambda: services.reject(
                    moderator=second, comment=Comment.objects.get(pk=comment.pk), reason="spam"
                ),
            ),
        ],
    )
    assert results.count("ok") == 1
    loser = next(result for result in results if result != "ok")
    assert "déjà été traité" in loser and "rien n’a été modifié" in loser
    assert ModerationDecision.objects.filter(comment_id=comment.pk).count() == 1
    final = Comment.objects.get(pk=comment.pk).state
    stats = ThreadStats.objects.filter(pk=consultation.pk).first()
    assert (stats.comments if stats else 0) == (1 if final == State.PUBLISHED else 0)


def test_the_same_publish_twice_at_once_is_applied_once(desk):
    consultation, author, moderators = desk
    comment = comments.post_comment(author=author, consultation=consultation, body="Un avis.")
    results = at_once(
        lambda moderator: attempt(
            lambda: services.publish(
                moderator=moderator, comment=Comment.objects.get(pk=comment.pk)
            )
        ),
        [(moderator,) for moderator in moderators],
    )
    assert results.count("ok") == 1
    assert ThreadStats.objects.get(pk=consultation.pk).comments == 1
    assert ModerationDecision.objects.filter(comment_id=comment.pk).count() == 1
