"""E-mails leave through the tasks worker: the request that causes them only enqueues a
task on commit; the worker (django-tasks-db's db_worker) sends them."""

import pytest
from django.core import mail
from django.urls import reverse

from participation.models import CommentModeration, Follow, ModerationRules
from participation.services import comments
from participation.services import community as community_services
from participation.services import moderation as moderation_services
from tests import factories

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def worker_tasks(settings):
    """Tasks queued in the database, as in production, instead of run inline."""
    settings.TASKS = DATABASE_TASKS
    yield
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def waiting_tasks() -> list[str]:
    from django_tasks_db.models import DBTaskResult

    return sorted(DBTaskResult.objects.filter(status="READY").values_list("task_path", flat=True))


def run_worker() -> None:
    """What `manage.py db_worker` does for each waiting task (its own Worker.run_task),
    without its loop: the loop closes the connection, which holds the test's
    transaction."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="essai",
        excluded_queue_names=[],
    )
    for result in DBTaskResult.objects.ready().order_by("enqueued_at"):
        result.claim(worker.worker_id)
        worker.run_task(result)
    assert not DBTaskResult.objects.failed().exists()


@pytest.fixture
def premoderated(consultation_index):
    return factories.consultation(
        consultation_index, title="Budget", comment_moderation=CommentModeration.A_PRIORI
    )


def test_a_rejection_enqueues_the_e_mail_and_the_worker_sends_it(
    client, users, premoderated, worker_tasks, django_capture_on_commit_callbacks
):
    comment = comments.post_comment(
        author=users["citizen"], consultation=premoderated, body="Un avis."
    )
    client.force_login(users["moderator"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("moderation_act", args=[comment.pk]),
            {"action": "reject", "reason": "abuse", "note": "Merci de rester courtois."},
        )
    assert response.status_code == 302
    # The moderator's click sent nothing: the e-mail waits for the worker.
    assert mail.outbox == []
    assert waiting_tasks() == ["participation.tasks.fan_out_notifications"]
    run_worker()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [users["citizen"].email]
    assert "Insulte, harcèlement ou discrimination" in message.body
    assert "Merci de rester courtois." in message.body
    assert "Budget" in message.body
    assert waiting_tasks() == []


def test_a_ban_is_told_by_the_worker(
    users, premoderated, worker_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        moderation_services.ban(
            moderator=users["moderator"],
            user=users["citizen"],
            reason="Insultes répétées",
            days=7,
        )
    assert mail.outbox == []
    assert waiting_tasks() == ["participation.tasks.send_ban_email"]
    run_worker()
    assert [message.to for message in mail.outbox] == [[users["citizen"].email]]
    assert "Insultes répétées" in mail.outbox[0].body


def test_an_alert_is_told_to_the_moderators_by_the_worker(
    users, consultation_index, worker_tasks, django_capture_on_commit_callbacks
):
    consultation = factories.consultation(consultation_index, title="Carrefour")
    rules = ModerationRules.load()
    rules.watch_words = "urgence"
    rules.save()
    with django_capture_on_commit_callbacks(execute=True):
        comments.post_comment(
            author=users["citizen"], consultation=consultation, body="Il y a urgence ici !"
        )
    assert mail.outbox == []
    assert "participation.tasks.send_alert_emails" in waiting_tasks()
    run_worker()
    assert mail.outbox and users["moderator"].email in mail.outbox[-1].to
    assert "Carrefour" in mail.outbox[-1].body


def test_published_results_reach_followers_through_the_worker(
    users, consultation_index, worker_tasks, django_capture_on_commit_callbacks
):
    closed = factories.consultation(
        consultation_index, title="Médiathèque", opens_in=-40, closes_in=-2
    )
    follower = users["citizen"]
    Follow.objects.create(user=follower, consultation=closed)
    team = users["communication"]
    community_services.save_results(
        user=team, consultation=closed, summary="Synthèse.", decisions="Décisions."
    )
    with django_capture_on_commit_callbacks(execute=True):
        community_services.publish_results(user=team, consultation=closed)
    assert mail.outbox == []
    assert Follow.objects.get(user=follower).notified_at is None
    run_worker()
    assert [message.to for message in mail.outbox] == [[follower.email]]
    assert "Médiathèque" in mail.outbox[0].subject
    assert Follow.objects.get(user=follower).notified_at is not None


def test_make_run_starts_the_worker_when_tasks_go_through_the_database(worker_tasks, capsys, db):
    from participation.management.commands.serve import Command

    worker = Command().start_worker()
    try:
        assert worker is not None and worker.poll() is None  # running beside the server
        assert "db_worker" in " ".join(worker.args)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert "worker db_worker lancé" in capsys.readouterr().out


def test_make_run_runs_tasks_inline_in_the_embedded_configuration(capsys, db):
    from participation.management.commands.serve import Command

    assert Command().start_worker() is None
    assert "exécutées aussitôt" in capsys.readouterr().out
