"""Citizens are told: replies, official answers, moderation decisions and results
reach the notification centre, and e-mail as each person chose, once per event."""

import pytest
from django.core import mail

from consent.models import ConsentRecord
from consent.models import Purpose as ConsentPurpose
from consent.services import records as consent_records
from participation.models import (
    CharterReason,
    Comment,
    CommentModeration,
    EmailMode,
    Follow,
    Kind,
    Notification,
    NotificationPreference,
)
from participation.services import comments, notifications
from participation.services import moderation as moderation_services
from tests import factories
from tests.participation.test_mail_tasks import DATABASE_TASKS, run_worker, waiting_tasks


@pytest.fixture
def act(django_capture_on_commit_callbacks):
    """Run a service and what it scheduled on commit (the tasks run inline in tests)."""

    def run(function, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return run


@pytest.fixture
def question(users, consultation, act):
    return act(
        comments.post_comment,
        author=users["citizen"],
        consultation=consultation,
        body="Quand la piste de la rue Haute sera-t-elle finie ?",
    )


def test_a_reply_tells_the_author_of_the_comment_on_the_site_only(
    users, consultation, question, act
):
    replier = factories.UserFactory(display_name="Camille")
    act(
        comments.post_comment,
        author=replier,
        consultation=consultation,
        parent=question,
        body="Je me pose la même question.",
    )
    (notification,) = Notification.objects.all()
    assert notification.recipient == users["citizen"]
    assert notification.kind == Kind.REPLY
    assert notification.email_mode == EmailMode.NEVER
    assert mail.outbox == []  # least intrusive by default: on the site only


def test_replying_to_oneself_tells_nobody(users, consultation, question, act):
    act(
        comments.post_comment,
        author=users["citizen"],
        consultation=consultation,
        parent=question,
        body="Précision : côté gare.",
    )
    assert Notification.objects.count() == 0


def test_an_official_answer_tells_the_asker_by_email_when_they_opted_in_and_the_thread(
    users, consultation, question, act
):
    consent_records.set_notifications(users["citizen"], True)
    neighbour = factories.UserFactory()
    act(
        comments.post_comment,
        author=neighbour,
        consultation=consultation,
        parent=question,
        body="+1, c'est dangereux.",
    )
    follower = factories.UserFactory()
    Follow.objects.create(thread=question, user=follower)
    mail.outbox.clear()
    act(
        comments.post_comment,
        author=users["agent"],
        consultation=consultation,
        parent=question,
        body="Les travaux finissent en mars.",
        official=True,
    )
    answers = Notification.objects.filter(kind=Kind.OFFICIAL_ANSWER)
    assert sorted(answers.values_list("recipient_id", flat=True)) == sorted(
        [users["citizen"].pk, neighbour.pk, follower.pk]
    )
    assert dict(answers.values_list("recipient_id", "email_mode"))[users["citizen"].pk] == (
        EmailMode.IMMEDIATE
    )
    # The asker opted in: one e-mail, to them alone; the others see it on the site.
    assert [message.to for message in mail.outbox] == [[users["citizen"].email]]
    message = mail.outbox[0]
    assert "Plan vélo" in message.subject
    assert message.alternatives and message.alternatives[0].mimetype == "text/html"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")
    assert "/participation/notifications/desabonnement/" in message.body
    # No REPLY notification on top of the official one for the same comment.
    assert not Notification.objects.filter(kind=Kind.REPLY, recipient=users["citizen"]).filter(
        comment__is_official=True
    )


def test_running_the_fan_out_again_creates_and_sends_nothing_twice(
    users, consultation, question, act
):
    consent_records.set_notifications(users["citizen"], True)
    for _ in range(3):
        factories.UserFactory()
    followers = factories.UserFactory.create_batch(5)
    Follow.objects.bulk_create([Follow(thread=question, user=user) for user in followers])
    answer = act(
        comments.post_comment,
        author=users["agent"],
        consultation=consultation,
        parent=question,
        body="Réponse officielle.",
        official=True,
    )
    assert Notification.objects.count() == 6
    assert len(mail.outbox) == 1
    # A worker restarted mid-batch runs the task again.
    notifications.fan_out(Kind.OFFICIAL_ANSWER, answer.pk)
    notifications.fan_out(Kind.OFFICIAL_ANSWER, answer.pk)
    assert Notification.objects.count() == 6
    assert len(mail.outbox) == 1


def test_fan_out_works_in_batches(users, consultation, question, act, settings):
    settings.TRIBUNE_NOTIFICATION_BATCH = 3
    followers = factories.UserFactory.create_batch(8)
    Follow.objects.bulk_create([Follow(thread=question, user=user) for user in followers])
    answer = act(
        comments.post_comment,
        author=users["agent"],
        consultation=consultation,
        parent=question,
        body="Réponse officielle.",
        official=True,
    )
    assert Notification.objects.filter(event_key=f"answer:{answer.pk}").count() == 9


def test_a_moderation_decision_is_a_notification_and_keeps_its_email(
    users, consultation, question, act
):
    mail.outbox.clear()
    act(
        moderation_services.hide,
        moderator=users["moderator"],
        comment=question,
        reason=CharterReason.OFF_TOPIC,
        note="Hors sujet.",
    )
    (notification,) = Notification.objects.filter(kind=Kind.DECISION)
    assert notification.recipient == users["citizen"]
    assert [message.to for message in mail.outbox] == [[users["citizen"].email]]
    assert "Hors sujet." in mail.outbox[0].body
    assert "List-Unsubscribe" in mail.outbox[0].extra_headers


def test_a_reply_later_hidden_is_withdrawn_from_the_centre(users, consultation, question, act):
    reply = act(
        comments.post_comment,
        author=factories.UserFactory(),
        consultation=consultation,
        parent=question,
        body="Réponse déplacée.",
    )
    assert Notification.objects.filter(recipient=users["citizen"]).count() == 1
    act(
        moderation_services.hide,
        moderator=users["moderator"],
        comment=reply,
        reason=CharterReason.OFF_TOPIC,
    )
    assert not Notification.objects.filter(recipient=users["citizen"], kind=Kind.REPLY).exists()


def test_a_reply_deleted_by_its_author_is_withdrawn(users, consultation, question, act):
    author = factories.UserFactory()
    reply = act(
        comments.post_comment,
        author=author,
        consultation=consultation,
        parent=question,
        body="Oups.",
    )
    act(comments.delete_comment, user=author, comment=reply)
    assert Notification.objects.count() == 0


def test_a_held_reply_tells_nobody_until_a_moderator_publishes_it(users, consultation_index, act):
    page = factories.consultation(
        consultation_index, title="Budget", comment_moderation=CommentModeration.A_PRIORI
    )
    asker = users["citizen"]
    question = act(comments.post_comment, author=asker, consultation=page, body="Question ?")
    question = act(moderation_services.publish, moderator=users["moderator"], comment=question)
    reply = act(
        comments.post_comment,
        author=factories.UserFactory(),
        consultation=page,
        parent=question,
        body="Réponse.",
    )
    assert not Notification.objects.filter(kind=Kind.REPLY).exists()
    act(moderation_services.publish, moderator=users["moderator"], comment=reply)
    assert Notification.objects.filter(kind=Kind.REPLY, recipient=asker).count() == 1


def test_commenting_follows_the_consultation_unless_turned_off(users, consultation, act):
    citizen = users["citizen"]
    act(comments.post_comment, author=citizen, consultation=consultation, body="Un avis.")
    follow = Follow.objects.get(user=citizen)
    assert follow.consultation_id == consultation.pk and follow.automatic
    other = factories.UserFactory()
    notifications.set_preferences(user=other, modes={}, auto_follow=False)
    act(comments.post_comment, author=other, consultation=consultation, body="Un autre avis.")
    assert not Follow.objects.filter(user=other).exists()


def test_voting_follows_the_consultation(users, consultation, act):
    from participation.services import polls

    poll = factories.poll(
        consultation, questions=[("Comment venez-vous ?", "single", None, ["À vélo", "À pied"])]
    )
    act(
        polls.cast_ballot,
        voter=users["citizen"],
        poll=poll,
        answers={poll.questions.all()[0].pk: factories.choice_ids(poll, 0)[0]},
    )
    assert Follow.objects.filter(
        user=users["citizen"], consultation=consultation, automatic=True
    ).exists()


def test_preferences_are_recorded_as_consent(users):
    citizen = users["citizen"]
    notifications.set_preferences(user=citizen, modes={Kind.REPLY: EmailMode.DAILY})
    record = ConsentRecord.objects.current().get(user=citizen, purpose=ConsentPurpose.NOTIFICATIONS)
    assert record.decision == "granted"
    assert record.version.startswith("2:d")
    assert NotificationPreference.objects.get(user=citizen).reply == EmailMode.DAILY
    notifications.set_preferences(user=citizen, modes={Kind.REPLY: EmailMode.NEVER})
    assert notifications.preferences_of(citizen)["modes"][Kind.REPLY] == EmailMode.NEVER
    latest = ConsentRecord.objects.current().get(user=citizen, purpose=ConsentPurpose.NOTIFICATIONS)
    # Decisions stay on the site by default except the decision e-mail.
    assert latest.decision == "granted"


def test_a_bad_choice_is_refused_and_changes_nothing(users):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        notifications.set_preferences(user=users["citizen"], modes={Kind.REPLY: "souvent"})
    assert not NotificationPreference.objects.exists()


def test_results_tell_followers_and_email_those_who_asked(users, consultation_index, act):
    from participation.services import community

    page = factories.consultation(
        consultation_index, title="Médiathèque", opens_in=-10, closes_in=-1
    )
    asked = factories.UserFactory()
    took_part = factories.UserFactory()
    Follow.objects.create(consultation=page, user=asked)
    Follow.objects.create(consultation=page, user=took_part, automatic=True)
    community.save_results(
        user=users["communication"], consultation=page, summary="Résumé.", decisions="Ouvrir."
    )
    act(community.publish_results, user=users["communication"], consultation=page)
    assert Notification.objects.filter(kind=Kind.RESULTS).count() == 2
    assert [message.to for message in mail.outbox] == [[asked.email]]
    act(community.publish_results, user=users["communication"], consultation=page)
    assert Notification.objects.filter(kind=Kind.RESULTS).count() == 2
    assert len(mail.outbox) == 1


def test_comment_model_unchanged_count(users, consultation, question):
    # The notification's comment link never changes the comment itself.
    assert Comment.objects.get(pk=question.pk).replies_count == 0


def test_a_worker_restarted_mid_task_sends_nothing_twice(
    users, consultation, settings, django_capture_on_commit_callbacks
):
    """Through django-tasks' database worker: the answer only enqueues; the worker
    creates and sends; a worker killed before recording the result runs it again."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DATABASE_TASKS  # queued in the database, as in production
    consent_records.set_notifications(users["citizen"], True)
    question = comments.post_comment(
        author=users["citizen"], consultation=consultation, body="Une question ?"
    )
    with django_capture_on_commit_callbacks(execute=True):
        comments.post_comment(
            author=users["agent"],
            consultation=consultation,
            parent=question,
            body="La réponse.",
            official=True,
        )
    assert Notification.objects.count() == 0 and mail.outbox == []
    assert "participation.tasks.fan_out_notifications" in waiting_tasks()
    run_worker()
    assert Notification.objects.count() == 1 and len(mail.outbox) == 1
    # The same task claimed again, as after a crash before its result was saved.
    DBTaskResult.objects.update(status="READY", started_at=None, finished_at=None)
    run_worker()
    assert Notification.objects.count() == 1 and len(mail.outbox) == 1
