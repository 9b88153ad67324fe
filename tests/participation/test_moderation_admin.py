"""The moderation workspace of the Wagtail admin: queues, filters, actions as plain
form POSTs, history, bans, appeals, crisis switches, alerts; constant query count."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from participation.models import (
    Appeal,
    Ban,
    Comment,
    CommentModeration,
    ModeratorScope,
    Report,
    State,
)
from participation.services import comments
from participation.services import moderation as services
from tests import factories


@pytest.fixture
def premoderated(consultation_index):
    return factories.consultation(
        consultation_index, title="Budget", comment_moderation=CommentModeration.A_PRIORI
    )


@pytest.fixture
def moderator_client(client, users):
    client.force_login(users["moderator"])
    return client


def post(author, consultation, body="Un avis.", **kwargs):
    return comments.post_comment(author=author, consultation=consultation, body=body, **kwargs)


QUEUE = "/admin/moderation/"


def test_menu_and_queue_are_for_moderators_only(client, users, premoderated):
    post(users["citizen"], premoderated, "En attente de lecture")
    client.force_login(users["communication"])
    refused = client.get(QUEUE, follow=True)  # Wagtail sends refusals back to its home
    assert "En attente de lecture" not in refused.content.decode()
    # The menu is a JSON blob in the page: look for the queue's address.
    assert "/admin/moderation/" not in client.get("/admin/").content.decode()
    client.force_login(users["moderator"])
    assert "/admin/moderation/" in client.get("/admin/").content.decode()
    html = client.get(QUEUE).content.decode()
    assert "En attente de lecture" in html
    assert "À modérer (1)" in html


def test_publish_from_the_queue_then_a_second_click_gets_a_clear_message(
    moderator_client, users, premoderated
):
    comment = post(users["citizen"], premoderated)
    url = reverse("moderation_act", args=[comment.pk])
    response = moderator_client.post(url, {"action": "publish", "next": QUEUE}, follow=True)
    assert "Commentaire publié." in response.content.decode()
    assert Comment.objects.get(pk=comment.pk).state == State.PUBLISHED
    response = moderator_client.post(url, {"action": "publish", "next": QUEUE}, follow=True)
    assert "déjà été traité" in response.content.decode()


def test_reject_without_reason_changes_nothing(moderator_client, users, premoderated):
    comment = post(users["citizen"], premoderated)
    response = moderator_client.post(
        reverse("moderation_act", args=[comment.pk]), {"action": "reject"}, follow=True
    )
    assert "Choisissez un motif de la charte" in response.content.decode()
    assert Comment.objects.get(pk=comment.pk).state == State.PENDING


def test_reported_queue_sorted_by_distinct_reporters_with_reasons(
    moderator_client, users, consultation_index
):
    consultation = factories.consultation(consultation_index, title="Plan vélo")
    once = post(users["citizen"], consultation, "Signalé une fois")
    twice = post(users["citizen"], consultation, "Signalé deux fois")
    comments.report_comment(reporter=users["agent"], comment=once, reason="spam")
    for reporter in (users["agent"], users["communication"]):
        comments.report_comment(
            reporter=reporter, comment=twice, reason="abuse", details="Propos blessants"
        )
    html = moderator_client.get(QUEUE + "?file=signales").content.decode()
    assert html.index("Signalé deux fois") < html.index("Signalé une fois")
    assert "Propos blessants" in html and "Signalements : 2" in html
    moderator_client.post(
        reverse("moderation_act", args=[twice.pk]), {"action": "handled", "next": QUEUE}
    )
    assert (
        "Signalé deux fois" not in moderator_client.get(QUEUE + "?file=signales").content.decode()
    )


def test_filters_and_search(moderator_client, users, premoderated, consultation_index):
    other = factories.consultation(
        consultation_index, title="Autre", comment_moderation=CommentModeration.A_PRIORI
    )
    post(users["citizen"], premoderated, "Parlons des arbres")
    post(users["citizen"], other, "Parlons des bancs")
    html = moderator_client.get(QUEUE + "?q=arbres").content.decode()
    assert "Parlons des arbres" in html and "Parlons des bancs" not in html
    html = moderator_client.get(f"{QUEUE}?consultation={other.pk}").content.decode()
    assert "Parlons des bancs" in html and "Parlons des arbres" not in html
    html = moderator_client.get(f"{QUEUE}?file=tout&etat=published").content.decode()
    assert "Parlons des" not in html


def test_a_scoped_moderator_sees_only_their_consultations(
    client, users, premoderated, consultation_index
):
    other = factories.consultation(
        consultation_index, title="Autre", comment_moderation=CommentModeration.A_PRIORI
    )
    post(users["citizen"], premoderated, "Dans mon périmètre")
    outside = post(users["citizen"], other, "Hors périmètre")
    scoped = factories.UserFactory(role=roles.MODERATORS, is_staff=True)
    ModeratorScope.objects.create(moderator=scoped, consultation=premoderated)
    client.force_login(scoped)
    html = client.get(QUEUE).content.decode()
    assert "Dans mon périmètre" in html and "Hors périmètre" not in html
    response = client.post(
        reverse("moderation_act", args=[outside.pk]), {"action": "publish"}, follow=True
    )
    assert "Vous ne modérez pas cette consultation." in response.content.decode()
    assert Comment.objects.get(pk=outside.pk).state == State.PENDING


def test_bulk_publish(moderator_client, users, premoderated):
    first, second = post(users["citizen"], premoderated), post(users["citizen"], premoderated)
    response = moderator_client.post(
        reverse("moderation_bulk"),
        {"action": "publish", "ids": [first.pk, second.pk], "next": QUEUE},
        follow=True,
    )
    assert "Commentaire(s) traité(s) : 2." in response.content.decode()
    assert set(Comment.objects.values_list("state", flat=True)) == {State.PUBLISHED}


def test_history_shows_every_audit_entry(moderator_client, users, premoderated):
    comment = post(users["citizen"], premoderated)
    services.reject(moderator=users["moderator"], comment=comment, reason="spam", note="Pub")
    html = moderator_client.get(reverse("moderation_history", args=[comment.pk])).content.decode()
    assert "Commentaire refusé" in html and "Pub" in html


def test_ban_form_refuses_missing_duration_then_bans(moderator_client, users, premoderated):
    comment = post(users["citizen"], premoderated)
    url = reverse("moderation_ban", args=[comment.pk])
    response = moderator_client.post(url, {"reason": "Menaces"})
    assert response.status_code == 400
    assert "durée" in response.content.decode() and "Menaces" in response.content.decode()
    assert not Ban.objects.exists()
    response = moderator_client.post(url, {"reason": "Menaces", "permanent": "1", "hide_all": "1"})
    assert response.status_code == 302
    ban = Ban.objects.get()
    assert ban.user == users["citizen"] and ban.ends_at is None
    assert Comment.objects.get(pk=comment.pk).state == State.HIDDEN


def test_appeal_queue_and_decision_by_another_moderator(client, users, premoderated):
    comment = post(users["citizen"], premoderated)
    services.reject(moderator=users["moderator"], comment=comment, reason="off_topic")
    services.contest(author=users["citizen"], decision=comment.decisions.get(), text="Injuste")
    appeal = Appeal.objects.get()
    client.force_login(users["moderator"])
    html = client.get(QUEUE + "?file=contestations").content.decode()
    assert "Injuste" in html
    response = client.post(
        reverse("moderation_appeal", args=[appeal.pk]), {"decision": "grant"}, follow=True
    )
    assert "autre modérateur" in response.content.decode()
    client.force_login(users["administrator"])
    client.post(reverse("moderation_appeal", args=[appeal.pk]), {"decision": "uphold"})
    assert Appeal.objects.get().status == Appeal.Status.UPHELD
    assert Comment.objects.get(pk=comment.pk).state == State.REJECTED


def test_crisis_page_switches_and_refuses_a_freeze_without_message(
    moderator_client, users, premoderated
):
    url = reverse("moderation_crisis", args=[premoderated.pk])
    assert moderator_client.get(url).status_code == 200
    response = moderator_client.post(url, {"switch": "freeze", "on": "1", "message": ""})
    assert response.status_code == 400
    assert "message du bandeau" in response.content.decode()
    moderator_client.post(
        url, {"switch": "freeze", "on": "1", "message": "Pause le temps d’apaiser."}
    )
    html = moderator_client.get(url).content.decode()
    assert "Pause le temps d’apaiser." in html and "Crise : gel" not in html  # message, not label
    public = moderator_client.get(premoderated.url).content.decode()
    assert "Pause le temps d’apaiser." in public


def test_alerts_panel_lists_alerts_and_never_reloads_itself(
    moderator_client, users, consultation_index
):
    consultation = factories.consultation(consultation_index, title="Plan vélo")
    post(users["citizen"], consultation, "C’est un danger public")
    html = moderator_client.get(reverse("moderation_alerts")).content.decode()
    # A timed reload would pull the page from under the moderator (RGAA 13.1, WCAG
    # 2.2.1): new alerts are announced live, the list is refreshed on demand.
    assert 'http-equiv="refresh"' not in html
    assert "Rafraîchir la liste" in html and 'id="alerts-incoming" role="status"' in html
    assert "Mot surveillé" in html and "danger" in html


def test_queue_query_count_does_not_grow(moderator_client, users, consultation_index):
    """The same number of queries for a queue of 3 and of 60 comments, reports, authors."""
    small = factories.consultation(consultation_index, title="Petite")
    large = factories.consultation(consultation_index, title="Grande")
    authors = [factories.UserFactory() for _ in range(6)]
    reporters = [factories.UserFactory() for _ in range(3)]

    def fill(consultation, size):
        created = Comment.objects.bulk_create(
            Comment(
                consultation=consultation,
                author=authors[n % len(authors)],
                body=f"Commentaire {n}",
                state=State.PENDING,
                reports_open=True,
                reports_count=2,
            )
            for n in range(size)
        )
        Report.objects.bulk_create(
            Report(comment=comment, reporter=reporter, reason="spam")
            for comment in created
            for reporter in reporters[:2]
        )

    def count(query):
        moderator_client.get(QUEUE + query)
        with CaptureQueriesContext(connection) as queries:
            assert moderator_client.get(QUEUE + query).status_code == 200
        return len(queries)

    fill(small, 3)
    counts = {
        name: count(query) for name, query in (("pending", ""), ("reported", "?file=signales"))
    }
    fill(large, 60)
    assert count("") == counts["pending"]
    assert count("?file=signales") == counts["reported"]


def test_administrators_limit_a_moderator_to_some_consultations(client, users, premoderated):
    scoped = factories.UserFactory(role=roles.MODERATORS, is_staff=True)
    client.force_login(users["administrator"])
    url = reverse("moderator_scopes:add")
    page = client.get(url).content.decode()
    assert scoped.display_name in page
    assert users["citizen"].display_name not in page  # moderators only in the list
    response = client.post(url, {"moderator": scoped.pk, "consultation": premoderated.pk})
    assert response.status_code == 302
    assert ModeratorScope.objects.get().moderator == scoped
    client.force_login(users["moderator"])
    assert client.get(reverse("moderator_scopes:index")).status_code != 200


def test_the_queue_documents_its_keyboard_shortcuts_for_javascript_only(
    moderator_client, users, premoderated
):
    post(users["citizen"], premoderated, "Au clavier")
    html = moderator_client.get(QUEUE).content.decode()
    # Production serves hashed names (ManifestStaticFilesStorage): moderation.<hash>.js.
    assert re.search(r'<script type="module" src="/static/js/moderation(\.\w+)?\.js" nonce=', html)
    assert '<details class="moderation__shortcuts" id="moderation-shortcuts" hidden>' in html
    for key in ("j", "k", "p", "r", "h", "t", "o", "?"):
        assert f"<kbd>{key}</kbd>" in html
    assert 'data-shortcut="p"' in html and 'data-shortcut="r"' in html
