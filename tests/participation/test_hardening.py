"""Hostile or unusual input met by the participation screens: exports of answers
holding control characters, numbers out of range, a scoped moderator outside their
consultations, e-mails naming « O'Neil & co », share links reloaded."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from participation.models import Ban, Objective, ShareCount
from participation.services import comments as comment_services
from participation.services import community as community_services
from participation.services import moderation as moderation_services
from participation.services import polls as poll_services
from tests import factories

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"
MARKUP = "<b>O'Neil & co</b>"


# --- Exports write only what the format holds ------------------------------------------


def test_an_answer_with_control_characters_still_exports_to_xlsx(client, users, consultation):
    poll = factories.poll(consultation)
    text_question = poll.questions.get(kind="text")
    single = poll.questions.get(kind="single")
    multiple = poll.questions.get(kind="multiple")
    poll_services.cast_ballot(
        voter=users["citizen"],
        poll=poll,
        answers={
            single.pk: single.choices.first().pk,
            multiple.pk: [multiple.choices.first().pk],
            text_question.pk: "Plus\x01 de bancs\x0b\x1f =1+1",
        },
    )
    client.force_login(users["communication"])
    url = reverse("participation_export", args=[consultation.pk, "answers", "xlsx"])
    response = client.get(url)
    assert response.status_code == 200
    cells = [
        value
        for row in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
        for value in row
        if isinstance(value, str)
    ]
    assert "Plus de bancs =1+1" in cells
    # The same answer in CSV: the characters are gone there too.
    csv_text = client.get(
        reverse("participation_export", args=[consultation.pk, "answers", "csv"])
    ).content.decode("utf-8-sig")
    assert "Plus de bancs =1+1" in csv_text and "\x01" not in csv_text


def test_a_control_character_cannot_hide_a_formula():
    from participation.services import exports

    assert exports.neutralise(["\x01=1+1", "\x00@SUM(A1)", "ok\x7f"]) == [
        "'=1+1",
        "'@SUM(A1)",
        "ok\x7f",
    ]


# --- Numbers out of range --------------------------------------------------------------


@pytest.mark.parametrize("days", ["1000000000", "3651", "99999999999999999999"])
def test_an_absurd_ban_length_is_refused_in_french(client, users, consultation, days):
    person = factories.UserFactory()
    comment = comment_services.post_comment(author=person, consultation=consultation, body="Hé")
    client.force_login(users["moderator"])
    response = client.post(
        reverse("moderation_ban", args=[comment.pk]),
        {"reason": "Insultes répétées", "days": days},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "3650 jours au plus" in html and "Insultes répétées" in html
    assert not Ban.objects.exists()


def test_the_longest_ban_is_accepted(users):
    person = factories.UserFactory()
    ban = moderation_services.ban(
        moderator=users["moderator"], user=person, reason="Menaces", days=3650
    )
    assert ban.ends_at is not None


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e30", "sNaN", "1000000000"])
def test_objectives_out_of_range_are_refused_in_french(client, users, consultation, value):
    client.force_login(users["communication"])
    response = client.post(
        reverse("participation_objectives", args=[consultation.pk]),
        {"participants": value, "comments": "40"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Saisissez un nombre" in html
    assert not Objective.objects.exists()


def test_a_large_objective_within_range_is_kept(users, consultation):
    community_services.set_objectives(
        user=users["communication"], consultation=consultation, targets={"participants": "999 999"}
    )
    assert Objective.objects.get().target == 999999


def test_set_objectives_refuses_nan_directly(users, consultation):
    with pytest.raises(ValidationError):
        community_services.set_objectives(
            user=users["communication"], consultation=consultation, targets={"comments": "nan"}
        )


# --- A scoped moderator sees nothing outside their consultations -------------------------


def test_a_scoped_moderator_cannot_open_the_ban_page_of_another_consultation(
    client, scoped, other, consultation
):
    author = factories.UserFactory(display_name="Camille Discrète")
    elsewhere = comment_services.post_comment(author=author, consultation=other, body="Ailleurs")
    client.force_login(scoped)
    # The admin turns a refusal into its home page with a message.
    response = client.get(reverse("moderation_ban", args=[elsewhere.pk]), follow=True)
    assert response.redirect_chain == [("/admin/", 302)]
    assert "Camille Discrète" not in response.content.decode()
    client.post(reverse("moderation_ban", args=[elsewhere.pk]), {"reason": "x", "days": "3"})
    assert not Ban.objects.exists()
    # In their own consultation, the page opens (banning stays for moderators of all).
    here = comment_services.post_comment(author=author, consultation=consultation, body="Ici")
    assert client.get(reverse("moderation_ban", args=[here.pk])).status_code == 200


# --- Plain-text e-mails read as typed ------------------------------------------------------


def test_a_decision_e_mail_shows_the_note_as_typed(
    users, consultation, mailoutbox, django_capture_on_commit_callbacks
):
    author = factories.UserFactory(display_name=MARKUP)
    comment = comment_services.post_comment(author=author, consultation=consultation, body="Texte")
    with django_capture_on_commit_callbacks(execute=True):
        moderation_services.hide(
            moderator=users["moderator"], comment=comment, reason="abuse", note=MARKUP
        )
    (message,) = [m for m in mailoutbox if m.to == [author.email]]
    assert MARKUP in message.body
    assert "&lt;" not in message.body and "&#x27;" not in message.body
    assert "&amp;" not in message.body
    # The HTML part (notification e-mails have both) escapes it like any page.
    (html, mimetype), *_others = message.alternatives
    assert mimetype == "text/html"
    assert MARKUP not in html and "&lt;" in html


def test_the_results_e_mail_greets_the_follower_by_their_name_as_typed(
    users, consultation, mailoutbox
):
    from participation.models import Kind
    from participation.services import notifications

    follower = factories.UserFactory(display_name=MARKUP)
    consultation.title = "Vélos & bus"
    consultation.save_revision().publish()
    community_services.Follow.objects.create(consultation=consultation, user=follower)
    assert notifications.fan_out(Kind.RESULTS, consultation.pk) == 1
    (message,) = mailoutbox
    assert f"Bonjour {MARKUP}," in message.body
    assert "Vélos & bus" in message.body and "&amp;" not in message.body


def test_the_html_pages_still_escape_the_name(client, users, consultation):
    author = factories.UserFactory(display_name=MARKUP)
    comment_services.post_comment(author=author, consultation=consultation, body="Texte")
    html = client.get(consultation.url).content.decode()
    assert MARKUP not in html and "&lt;b&gt;O&#x27;Neil &amp; co&lt;/b&gt;" in html


# --- Share links count a person once per page, network and day ---------------------------


def share_url(page, network):
    return reverse("participation:share", args=[page.pk, network])


def test_reloading_a_share_link_counts_once(client, consultation):
    for _ in range(5):
        response = client.get(share_url(consultation, "linkedin"), HTTP_USER_AGENT=BROWSER)
        assert response.status_code == 302
    assert ShareCount.objects.get(network="linkedin").count == 1
    assert "Set-Cookie" not in response


def test_other_people_and_other_networks_still_count(client, users, consultation):
    client.get(share_url(consultation, "linkedin"), HTTP_USER_AGENT=BROWSER)
    client.get(share_url(consultation, "mastodon"), HTTP_USER_AGENT=BROWSER)
    client.get(
        share_url(consultation, "linkedin"), HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="192.0.2.7"
    )
    client.force_login(users["citizen"])
    client.get(share_url(consultation, "linkedin"), HTTP_USER_AGENT=BROWSER)
    client.get(share_url(consultation, "linkedin"), HTTP_USER_AGENT=BROWSER)
    counts = dict(ShareCount.objects.values_list("network", "count"))
    assert counts == {"linkedin": 3, "mastodon": 1}


def test_a_share_counted_yesterday_counts_again_today(client, consultation):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    client.get(share_url(consultation, "linkedin"), HTTP_USER_AGENT=BROWSER)
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        client.get(share_url(consultation, "linkedin"), HTTP_USER_AGENT=BROWSER)
    assert sorted(ShareCount.objects.values_list("count", flat=True)) == [1, 1]
