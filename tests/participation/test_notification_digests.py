"""E-mail digests, new and closing consultations, with frozen time: a flood of replies
makes one digest, each kind reaches only those who follow, nothing is sent twice."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from participation import schedule
from participation.models import EmailMode, Follow, Kind, Notification, ScheduledJob
from participation.services import comments, notifications
from tests import factories

PARIS = timezone.get_default_timezone()


def _next_monday_morning():
    today = timezone.localtime().date()
    monday = today + timedelta(days=7 - today.weekday())
    return datetime(monday.year, monday.month, monday.day, 7, 0, tzinfo=PARIS)


# The digests' morning, after whatever the test writes now.
MONDAY_MORNING = _next_monday_morning()


@pytest.fixture
def act(django_capture_on_commit_callbacks):
    def run(function, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return run


def test_two_hundred_replies_in_an_hour_make_one_daily_digest(
    users, consultation, consultation_index, act, settings
):
    settings.TRIBUNE_RATE_LIMITS = {**settings.TRIBUNE_RATE_LIMITS, "comment": (1000, 60)}
    asker = users["citizen"]
    notifications.set_preferences(user=asker, modes={Kind.REPLY: EmailMode.DAILY})
    other_page = factories.consultation(consultation_index, title="Budget participatif")
    question = act(comments.post_comment, author=asker, consultation=consultation, body="Q ?")
    second = act(comments.post_comment, author=asker, consultation=other_page, body="Et ici ?")
    repliers = factories.UserFactory.create_batch(20)
    with time_machine.travel(timezone.now(), tick=True):  # within the hour
        for n in range(200):
            act(
                comments.post_comment,
                author=repliers[n % 20],
                consultation=consultation if n < 190 else other_page,
                parent=question if n < 190 else second,
                body=f"Réponse {n}",
            )
    assert Notification.objects.filter(recipient=asker, kind=Kind.REPLY).count() == 200
    # Nothing at once: the person chose the daily digest (the moderators may have been
    # alerted of the surge, which is theirs).
    assert not [m for m in mail.outbox if m.to == [asker.email]]
    mail.outbox.clear()
    with time_machine.travel(MONDAY_MORNING, tick=False):
        assert notifications.send_digests(EmailMode.DAILY) == 1
    (message,) = mail.outbox
    assert message.to == [asker.email]
    assert "200 notifications" in message.subject
    # Grouped by consultation: each title once, then its lines.
    assert message.body.count("Plan vélo\n") == 1
    assert message.body.count("Budget participatif\n") == 1
    assert message.body.count("a répondu à votre commentaire") == 200
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.alternatives[0].mimetype == "text/html"
    # A second run (a restarted worker, another scheduler) sends nothing more.
    with time_machine.travel(MONDAY_MORNING + timedelta(minutes=5), tick=False):
        assert notifications.send_digests(EmailMode.DAILY) == 0
    assert len(mail.outbox) == 1


def test_a_hidden_reply_is_left_out_of_the_digest(users, consultation, act):
    from participation.services import moderation

    asker = users["citizen"]
    notifications.set_preferences(user=asker, modes={Kind.REPLY: EmailMode.WEEKLY})
    question = act(comments.post_comment, author=asker, consultation=consultation, body="Q ?")
    kept = act(
        comments.post_comment,
        author=factories.UserFactory(),
        consultation=consultation,
        parent=question,
        body="Bonne réponse",
    )
    gone = act(
        comments.post_comment,
        author=factories.UserFactory(),
        consultation=consultation,
        parent=question,
        body="Réponse injurieuse",
    )
    act(moderation.hide, moderator=users["moderator"], comment=gone, reason="abuse")
    assert notifications.send_digests(EmailMode.WEEKLY) == 1
    assert mail.outbox[-1].body.count("a répondu à votre commentaire") == 1
    assert kept.pk


def test_the_scheduler_sends_daily_digests_every_morning_and_weekly_ones_on_monday():
    tuesday = MONDAY_MORNING + timedelta(days=1)
    assert notifications.digests_due(now=MONDAY_MORNING) == [EmailMode.DAILY, EmailMode.WEEKLY]
    assert notifications.digests_due(now=tuesday) == [EmailMode.DAILY]
    job = next(job for job in schedule.JOBS if job.name == "notification_digests")
    assert timezone.localtime(job.next_after(MONDAY_MORNING - timedelta(hours=1))).hour == 7


def test_the_digest_job_runs_once_per_morning(db, users, consultation, act, settings):
    asker = users["citizen"]
    notifications.set_preferences(user=asker, modes={Kind.REPLY: EmailMode.DAILY})
    question = act(comments.post_comment, author=asker, consultation=consultation, body="Q ?")
    act(
        comments.post_comment,
        author=factories.UserFactory(),
        consultation=consultation,
        parent=question,
        body="R",
    )
    job = next(job for job in schedule.JOBS if job.name == "notification_digests")
    ScheduledJob.objects.create(name=job.name, next_run_at=MONDAY_MORNING)
    with time_machine.travel(MONDAY_MORNING + timedelta(minutes=1), tick=False):
        assert schedule.run_due([job]) == ["notification_digests"]
        assert schedule.run_due([job]) == []
    assert [message.to for message in mail.outbox] == [[asker.email]]


def test_new_consultation_on_a_followed_theme_and_closing_in_three_days(
    users, consultation_index, settings
):
    from taggit.models import Tag

    themed = factories.consultation(
        consultation_index, title="Pistes cyclables", themes=["mobilité"], closes_in=30
    )
    closing = factories.consultation(consultation_index, title="Marché", closes_in=2)
    fan = factories.UserFactory()
    Follow.objects.create(theme=Tag.objects.get(name="mobilité"), user=fan)
    follower = factories.UserFactory()
    Follow.objects.create(consultation=closing, user=follower)
    stranger = factories.UserFactory()
    notifications.announce_consultations()
    notifications.announce_consultations()  # every 15 minutes: each announced once
    assert list(
        Notification.objects.filter(kind=Kind.NEW_CONSULTATION).values_list(
            "recipient_id", "consultation_id"
        )
    ) == [(fan.pk, themed.pk)]
    assert list(
        Notification.objects.filter(kind=Kind.CLOSING).values_list(
            "recipient_id", "consultation_id"
        )
    ) == [(follower.pk, closing.pk)]
    assert not Notification.objects.filter(recipient=stranger).exists()
    assert mail.outbox == []  # on the site only by default
