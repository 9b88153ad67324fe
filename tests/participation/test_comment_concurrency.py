"""Many people at once, and double clicks, on a real database (PostgreSQL in CI's second
run, SQLite in the first): counters come out exact and nothing is written twice."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from participation.models import Comment, Support, ThreadStats
from participation.services import comments as services
from tests import factories

PEOPLE = 24


@pytest.fixture
def crowd(committed_database, django_db_blocker, settings):
    """Committed rows (threads see each other's writes), removed afterwards. Not a
    transactional test: its final flush would also wipe what data migrations wrote
    (locale, roles, workflow), which the browser tests that follow rely on."""
    from wagtail.models import Page

    from accounts.models import User
    from participation.models import ConsultationPage

    settings.TRIBUNE_RATE_LIMITS = {
        action: (1000, period) for action, (_n, period) in settings.TRIBUNE_RATE_LIMITS.items()
    }
    with django_db_blocker.unblock():
        root = Page.get_first_root_node()
        consultation = factories.add_page(
            root,
            ConsultationPage(
                title="Très suivie",
                slug=f"tres-suivie-{uuid.uuid4().hex[:8]}",
                summary="Résumé.",
                body=[],
                opens_at=timezone.now() - timedelta(days=1),
            ),
        )
        people = [
            factories.UserFactory(email=f"foule-{uuid.uuid4().hex[:10]}@exemple.test")
            for _ in range(PEOPLE)
        ]
        try:
            yield consultation, people
        finally:
            consultation.delete()  # its comments, supports and totals go with it
            User.objects.filter(pk__in=[p.pk for p in people]).delete()


def at_once(function, arguments):
    """Run function(*args) for every args in as many threads, released together."""
    barrier = threading.Barrier(len(arguments))

    def run(args):
        barrier.wait()
        try:
            return function(*args)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(arguments)) as pool:
        return list(pool.map(run, arguments))


def test_many_people_support_the_same_comment_at_once(crowd):
    consultation, people = crowd
    comment = services.post_comment(author=people[0], consultation=consultation, body="Idée")

    def support(person):
        services.set_support(
            user=person, comment=Comment.objects.get(pk=comment.pk), supported=True
        )

    at_once(support, [(person,) for person in people[1:]])
    comment.refresh_from_db()
    assert comment.supports_count == PEOPLE - 1
    assert Support.objects.filter(comment=comment).count() == PEOPLE - 1


def test_one_person_clicking_support_many_times_counts_once(crowd):
    consultation, people = crowd
    comment = services.post_comment(author=people[0], consultation=consultation, body="Idée")

    def support():
        services.set_support(
            user=people[1], comment=Comment.objects.get(pk=comment.pk), supported=True
        )

    at_once(support, [() for _ in range(8)])
    comment.refresh_from_db()
    assert comment.supports_count == 1
    assert Support.objects.filter(comment=comment).count() == 1


def test_a_double_submitted_form_creates_one_comment(crowd):
    consultation, people = crowd
    key = str(uuid.uuid4())

    def submit():
        return services.post_comment(
            author=people[0], consultation=consultation, body="Une seule fois", key=key
        ).pk

    ids = at_once(submit, [() for _ in range(6)])
    assert len(set(ids)) == 1
    assert Comment.objects.count() == 1
    assert ThreadStats.objects.get(pk=consultation.pk).comments == 1


def test_replies_at_once_keep_every_counter_exact(crowd):
    consultation, people = crowd
    top = services.post_comment(author=people[0], consultation=consultation, body="Sujet")
    child = services.post_comment(
        author=people[1], consultation=consultation, body="Réponse", parent=top
    )

    def reply(person, n):
        parent = Comment.objects.get(pk=child.pk if n % 2 else top.pk)
        services.post_comment(
            author=person, consultation=consultation, body=f"Réponse {n}", parent=parent
        )

    at_once(reply, [(person, n) for n, person in enumerate(people)])
    top.refresh_from_db()
    child.refresh_from_db()
    assert top.replies_count == PEOPLE + 1
    assert child.replies_count == PEOPLE // 2
    assert ThreadStats.objects.get(pk=consultation.pk).comments == PEOPLE + 2
