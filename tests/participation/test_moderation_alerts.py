"""Alerts marked as seen: seen once for the whole team, with who and when;
new alerts are marked as such and counted on the alerts panel and in the queue."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts import roles
from participation.models import ModerationAlert
from participation.services import moderation as services
from participation.services import rules
from tests import factories

ALERTS = "/admin/moderation/alertes/"
NEW = 'class="moderation-alert moderation-alert--new"'


def alert(consultation, detail="danger"):
    return rules.raise_alert(ModerationAlert.Kind.WATCH_WORD, consultation.pk, detail=detail)


def test_an_alert_is_seen_once_for_the_team(users, consultation):
    raised = alert(consultation)
    second = factories.UserFactory(role=roles.MODERATORS, is_staff=True)
    services.mark_alert_seen(moderator=users["moderator"], alert=raised)
    services.mark_alert_seen(moderator=second, alert=raised)  # already seen: kept as it was
    raised.refresh_from_db()
    assert raised.seen_by == users["moderator"] and raised.seen_at is not None


def test_only_moderators_of_the_consultation_mark_an_alert(users, scoped, consultation, other):
    outside = alert(other)
    for person in (users["citizen"], users["agent"], users["communication"], scoped):
        with pytest.raises(PermissionDenied):
            services.mark_alert_seen(moderator=person, alert=outside)
    services.mark_alert_seen(moderator=scoped, alert=alert(consultation))
    assert ModerationAlert.objects.get(pk=outside.pk).seen_at is None


def test_mark_all_stays_in_scope_and_spares_alerts_raised_since(users, scoped, consultation, other):
    mine, outside = alert(consultation), alert(other)
    shown = alert(consultation, "menace")
    later = alert(consultation, "bombe")
    assert services.mark_all_alerts_seen(moderator=scoped, up_to=shown.pk) == 2
    seen = set(ModerationAlert.objects.filter(seen_by=scoped).values_list("pk", flat=True))
    assert seen == {mine.pk, shown.pk}
    assert ModerationAlert.objects.get(pk=outside.pk).seen_at is None
    assert ModerationAlert.objects.get(pk=later.pk).seen_at is None
    with pytest.raises(PermissionDenied):
        services.mark_all_alerts_seen(moderator=users["citizen"])


def test_the_panel_marks_new_alerts_and_counts_them(client, users, consultation):
    first, second = alert(consultation, "danger"), alert(consultation, "menace")
    client.force_login(users["moderator"])
    html = client.get(ALERTS).content.decode()
    assert "2 nouvelles alertes" in html and html.count(NEW) == 2
    assert "Tout marquer comme vu" in html
    assert "Alertes (2 nouvelles)" in client.get("/admin/moderation/").content.decode()

    response = client.post(
        reverse("moderation_alert_seen", args=[first.pk]), {"next": ALERTS}, follow=True
    )
    html = response.content.decode()
    assert "Alerte marquée comme vue." in html
    assert "1 nouvelle alerte" in html and html.count(NEW) == 1
    assert f"vue par {users['moderator'].display_name}" in html

    response = client.post(
        reverse("moderation_alerts_seen"), {"jusqua": str(second.pk)}, follow=True
    )
    html = response.content.decode()
    assert "1 alerte marquée comme vue." in html
    assert NEW not in html and "Tout marquer comme vu" not in html
    assert "Alertes (" not in client.get("/admin/moderation/").content.decode()


def test_the_seen_state_is_shared_by_the_team(client, users, consultation):
    raised = alert(consultation)
    services.mark_alert_seen(moderator=users["administrator"], alert=raised)
    client.force_login(users["moderator"])
    html = client.get(ALERTS).content.decode()
    assert NEW not in html
    assert f"vue par {users['administrator'].display_name}" in html


def test_marking_needs_a_post_and_a_moderator(client, users, consultation):
    raised = alert(consultation)
    url = reverse("moderation_alert_seen", args=[raised.pk])
    client.force_login(users["moderator"])
    assert client.get(url).status_code == 405
    client.force_login(users["communication"])
    client.post(url)
    assert ModerationAlert.objects.get(pk=raised.pk).seen_at is None
