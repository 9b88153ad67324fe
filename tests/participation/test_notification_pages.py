"""The notification centre, the bell, « Mes abonnements », the e-mail choices and the
one-click unsubscribe, as people use them through their browser."""

import pytest
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from participation.models import (
    EmailMode,
    Follow,
    Kind,
    Notification,
    NotificationPreference,
)
from participation.services import comments, notification_mail
from tests import factories


def notify(user, consultation, n=1, **fields):
    rows = [
        Notification(
            recipient=user,
            kind=Kind.RESULTS,
            event_key=f"results:test:{user.pk}:{i}",
            consultation=consultation,
            created_at=timezone.now(),
            **fields,
        )
        for i in range(n)
    ]
    return Notification.objects.bulk_create(rows)


def test_the_bell_shows_the_unread_count_to_the_signed_in_person(client, users, consultation):
    citizen = users["citizen"]
    notify(citizen, consultation, 3)
    client.force_login(citizen)
    html = client.get(consultation.url).content.decode()
    assert 'id="notification-bell"' in html
    assert "3 non lues" in html


def test_the_bell_costs_one_query_whatever_the_number_of_notifications(client, users, consultation):
    citizen = users["citizen"]
    client.force_login(citizen)
    notify(citizen, consultation, 1)
    client.get(consultation.url)
    with CaptureQueriesContext(connection) as few:
        client.get(consultation.url)
    Notification.objects.bulk_create(
        [
            Notification(
                recipient=citizen,
                kind=Kind.RESULTS,
                event_key=f"more:{i}",
                consultation=consultation,
                created_at=timezone.now(),
            )
            for i in range(40)
        ]
    )
    with CaptureQueriesContext(connection) as many:
        client.get(consultation.url)
    assert len(many) == len(few)


def test_anonymous_pages_have_no_bell_and_never_read_notifications(client, consultation):
    with CaptureQueriesContext(connection) as queries:
        html = client.get(consultation.url).content.decode()
    assert "notification-bell" not in html
    assert not [q for q in queries.captured_queries if "notification" in q["sql"]]


def test_the_centre_lists_my_notifications_only_and_marks_them_read(client, users, consultation):
    citizen, other = users["citizen"], factories.UserFactory()
    mine = notify(citizen, consultation, 2)
    theirs = notify(other, consultation, 1)
    client.force_login(citizen)
    html = client.get(reverse("participation:notifications")).content.decode()
    assert html.count('class="notification notification--unread"') == 2
    assert f"notification-{theirs[0].pk}" not in html
    response = client.post(reverse("participation:notification_read", args=[mine[0].pk]))
    assert response.status_code == 302
    assert Notification.objects.get(pk=mine[0].pk).read_at is not None
    assert Notification.objects.get(pk=mine[1].pk).read_at is None
    client.post(reverse("participation:notifications_read_all"))
    assert not Notification.objects.filter(recipient=citizen, read_at__isnull=True).exists()


def test_someone_elses_notification_cannot_be_marked_read(client, users, consultation):
    theirs = notify(factories.UserFactory(), consultation, 1)[0]
    client.force_login(users["citizen"])
    response = client.post(
        reverse("participation:notification_read", args=[theirs.pk]), follow=True
    )
    assert "n’existe pas ou n’est pas à vous" in response.content.decode() or (
        "n'existe pas ou n'est pas à vous" in response.content.decode()
    )
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_marking_read_needs_a_post_with_csrf(users, consultation):
    from django.test import Client

    mine = notify(users["citizen"], consultation, 1)[0]
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(users["citizen"])
    url = reverse("participation:notification_read", args=[mine.pk])
    assert browser.get(url).status_code == 405
    assert browser.post(url).status_code == 403
    assert Notification.objects.get(pk=mine.pk).read_at is None


def test_the_centre_is_for_signed_in_people(client, db):
    response = client.get(reverse("participation:notifications"))
    assert response.status_code == 302 and "/compte/" in response["Location"]


def test_my_follows_lists_and_stops_each(client, users, consultation):
    citizen = users["citizen"]
    mine = Follow.objects.create(consultation=consultation, user=citizen, automatic=True)
    theirs = Follow.objects.create(consultation=consultation, user=factories.UserFactory())
    client.force_login(citizen)
    html = client.get(reverse("participation:follows")).content.decode()
    assert "Plan vélo" in html
    client.post(reverse("participation:stop_follow", args=[theirs.pk]))
    assert Follow.objects.filter(pk=theirs.pk).exists()
    client.post(reverse("participation:stop_follow", args=[mine.pk]))
    assert not Follow.objects.filter(pk=mine.pk).exists()


def test_a_private_consultation_cannot_be_followed(client, users, consultation_index):
    from django.core.exceptions import PermissionDenied
    from wagtail.models import PageViewRestriction

    from participation.services import community

    page = factories.consultation(consultation_index, title="Réservée")
    PageViewRestriction.objects.create(page=page, restriction_type="password", password="x")
    with pytest.raises(PermissionDenied):
        community.set_follow(user=users["citizen"], consultation=page, follow=True)
    assert not Follow.objects.exists()


def test_following_a_thread(client, users, consultation):
    question = comments.post_comment(
        author=factories.UserFactory(), consultation=consultation, body="Une question ?"
    )
    client.force_login(users["citizen"])
    client.post(reverse("participation:follow_thread", args=[question.pk]))
    assert Follow.objects.filter(user=users["citizen"], thread=question).count() == 1


def test_preferences_page_saves_choices_and_keeps_them_on_error(client, users):
    citizen = users["citizen"]
    client.force_login(citizen)
    html = client.get(reverse("participation:notification_preferences")).content.decode()
    assert "Résumé quotidien" in html
    form = dict.fromkeys(Kind.values, EmailMode.NEVER)
    form[Kind.REPLY] = EmailMode.WEEKLY
    form[Kind.RESULTS] = "tous-les-jours"
    response = client.post(reverse("participation:notification_preferences"), form)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choisissez une des options proposées." in html
    assert 'id="reply-weekly" name="reply" value="weekly" checked' in html
    assert not NotificationPreference.objects.exists()
    form[Kind.RESULTS] = EmailMode.DAILY
    response = client.post(reverse("participation:notification_preferences"), form)
    assert response.status_code == 302
    saved = NotificationPreference.objects.get(user=citizen)
    assert (saved.reply, saved.results, saved.auto_follow) == ("weekly", "daily", False)


def _token(user, kinds):
    return notification_mail.unsubscribe_token(user.pk, kinds)


def test_one_click_unsubscribe_stops_that_kind_only_without_signing_in(client, users):
    citizen = users["citizen"]
    NotificationPreference.objects.create(
        user=citizen, reply=EmailMode.IMMEDIATE, results=EmailMode.DAILY
    )
    url = reverse("participation:unsubscribe", args=[_token(citizen, [Kind.REPLY])])
    assert "Ne plus recevoir ces e-mails" in client.get(url).content.decode()
    response = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    saved = NotificationPreference.objects.get(user=citizen)
    assert (saved.reply, saved.results) == (EmailMode.NEVER, EmailMode.DAILY)


@pytest.mark.parametrize("how", ["tampered", "expired", "other_salt"])
def test_a_bad_unsubscribe_link_is_refused_and_changes_nothing(client, users, settings, how):
    citizen = users["citizen"]
    NotificationPreference.objects.create(user=citizen, reply=EmailMode.IMMEDIATE)
    token = _token(citizen, [Kind.REPLY])
    if how == "tampered":
        token = token[:-3] + ("abc" if not token.endswith("abc") else "xyz")
    elif how == "expired":
        settings.TRIBUNE_UNSUBSCRIBE_LINK_DAYS = -1
    else:
        token = signing.dumps({"u": citizen.pk, "k": [Kind.REPLY]}, salt="autre chose")
    response = client.post(reverse("participation:unsubscribe", args=[token]))
    assert response.status_code == 400
    assert "rien n’a été modifié" in response.content.decode() or (
        "rien n'a été modifié" in response.content.decode()
    )
    assert NotificationPreference.objects.get(user=citizen).reply == EmailMode.IMMEDIATE


def test_an_unsubscribe_link_reaches_only_its_own_person(client, users):
    """Someone else's link changes that person's choice, never the one who clicks."""
    citizen, other = users["citizen"], factories.UserFactory()
    NotificationPreference.objects.create(user=citizen, reply=EmailMode.IMMEDIATE)
    NotificationPreference.objects.create(user=other, reply=EmailMode.IMMEDIATE)
    client.force_login(citizen)
    client.post(reverse("participation:unsubscribe", args=[_token(other, [Kind.REPLY])]))
    assert NotificationPreference.objects.get(user=citizen).reply == EmailMode.IMMEDIATE
    assert NotificationPreference.objects.get(user=other).reply == EmailMode.NEVER


def test_following_a_theme_from_a_consultation_page(client, users, consultation_index):
    page = factories.consultation(consultation_index, title="Pistes", themes=["mobilité"])
    anonymous = client.get(page.url).content.decode()
    assert "Suivre le thème" not in anonymous
    client.force_login(users["citizen"])
    html = client.get(page.url).content.decode()
    assert "Suivre le thème « mobilité »" in html
    client.post(reverse("participation:follow_theme", args=["mobilite"]))
    (follow,) = Follow.objects.filter(user=users["citizen"])
    assert follow.theme.name == "mobilité"
    assert "Thème : mobilité" in client.get(reverse("participation:follows")).content.decode()
