"""Community management: cookieless visits, counted shares, metadata, feeds,
daily figures on a hand-counted fixture, feedback, follows and results."""

from datetime import datetime, time, timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from participation.models import (
    DailyFigures,
    Feedback,
    Follow,
    PageVisits,
    ShareCount,
    State,
)
from participation.queries import community as queries
from participation.services import comments as comment_services
from participation.services import community as services
from participation.services import polls as poll_services
from participation.services import visits
from tests import factories

BROWSER = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


@pytest.fixture
def consultation(consultation_index):
    return factories.consultation(
        consultation_index, title="Plan vélo", summary="Où mettre les pistes cyclables ?"
    )


@pytest.fixture
def closed_consultation(consultation_index):
    return factories.consultation(
        consultation_index, title="Médiathèque", opens_in=-40, closes_in=-2
    )


def at(day_offset: int, hour: int = 10):
    day = timezone.localdate() + timedelta(days=day_offset)
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def dated(obj, when):
    type(obj).objects.filter(pk=obj.pk).update(created_at=when)


# --- Cookieless visits -----------------------------------------------------------------


def test_a_visit_is_counted_per_page_and_day_without_cookie_or_address(client, consultation):
    response = client.get(consultation.url, HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 200
    client.get(consultation.url, HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="203.0.113.8")
    visits.flush()  # counted in the cache, folded into the table in batches
    assert list(PageVisits.objects.values_list("page_id", "day", "count")) == [
        (consultation.pk, timezone.localdate(), 2)
    ]
    # Nothing about the visitor in the raw rows: only page, day and a number.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {PageVisits._meta.db_table}")  # noqa: S608
        columns = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
    assert sorted(columns) == ["count", "day", "id", "page_id"]
    assert "203.0.113" not in repr(rows) and "Mozilla" not in repr(rows)
    # And the counter sets no cookie: only Django's CSRF cookie (forms on the page) may
    # appear, never an audience cookie.
    assert set(response.cookies) <= {"csrftoken"}
    assert "tribune_visite" not in response.cookies


def test_robots_and_prefetches_are_not_counted(client, consultation):
    client.get(consultation.url, HTTP_USER_AGENT=GOOGLEBOT)
    client.get(consultation.url)  # no User-Agent at all
    client.get(consultation.url, HTTP_USER_AGENT=BROWSER, HTTP_SEC_PURPOSE="prefetch")
    visits.flush()
    assert not PageVisits.objects.exists()


# --- Sharing ---------------------------------------------------------------------------


def share_url(page, network):
    return f"/participation/partager/{page.pk}/{network}/"


@pytest.mark.parametrize(
    ("network", "host"),
    [
        ("linkedin", "www.linkedin.com"),
        ("x", "x.com"),
        ("facebook", "www.facebook.com"),
        ("mastodon", "mastodon.social"),
        ("bluesky", "bsky.app"),
        ("whatsapp", "wa.me"),
    ],
)
def test_share_links_count_then_send_to_the_network_with_the_page_address(
    client, consultation, network, host
):
    response = client.get(share_url(consultation, network), HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.scheme == "https" and target.netloc == host
    assert consultation.full_url in unquote(target.query)
    assert ShareCount.objects.get(network=network).count == 1
    assert "Set-Cookie" not in response


def test_e_mail_share_opens_the_mail_client(client, consultation):
    response = client.get(share_url(consultation, "email"), HTTP_USER_AGENT=BROWSER)
    assert response["Location"].startswith("mailto:?subject=Plan%20v")
    assert ShareCount.objects.get().count == 1


def test_share_redirect_never_goes_to_a_foreign_address(client, consultation):
    response = client.get(
        share_url(consultation, "linkedin") + "?url=https://evil.example/&next=//evil.example",
        HTTP_USER_AGENT=BROWSER,
    )
    assert "evil.example" not in response["Location"]
    shared = parse_qs(urlsplit(response["Location"]).query)["url"]
    assert shared == [consultation.full_url]


def test_unknown_network_or_page_is_refused_and_nothing_is_counted(client, consultation):
    response = client.get(share_url(consultation, "myspace"), HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 404
    assert "Réseau inconnu" in response.content.decode()
    assert client.get("/participation/partager/999999/linkedin/").status_code == 404
    assert not ShareCount.objects.exists()


def test_consultation_page_offers_plain_share_links(client, consultation):
    html = client.get(consultation.url).content.decode()
    for network in ("linkedin", "x", "facebook", "mastodon", "bluesky", "whatsapp", "email"):
        assert f'href="{share_url(consultation, network)}"' in html
    assert '<script src="http' not in html  # no third-party script


# --- Metadata, feeds, sitemap -----------------------------------------------------------


def test_open_graph_and_twitter_card_describe_the_consultation(client, consultation):
    html = client.get(consultation.url).content.decode()
    assert '<meta property="og:title" content="Plan vélo">' in html
    assert '<meta property="og:description" content="Où mettre les pistes cyclables ?">' in html
    assert f'<meta property="og:url" content="http://testserver{consultation.url}">' in html
    assert '<meta name="twitter:card" content="summary">' in html


def test_rss_and_atom_feeds_list_consultations_and_news(client, consultation, site_tree):
    factories.news_page(site_tree["news"], title="Réunion publique")
    rss = client.get("/participation/flux/rss/")
    assert rss["Content-Type"].startswith("application/rss+xml")
    body = rss.content.decode()
    assert "Plan vélo" in body and "Réunion publique" in body
    atom = client.get("/participation/flux/atom/")
    assert atom["Content-Type"].startswith("application/atom+xml")
    assert "Plan vélo" in atom.content.decode()


def test_sitemap_lists_the_consultation(client, consultation):
    body = client.get("/sitemap.xml").content.decode()
    assert consultation.url in body


# --- Daily figures on a hand-counted fixture ---------------------------------------------


@pytest.fixture
def activity(users, consultation):
    """Two days of activity, counted by hand in the assertions below."""
    a, b = users["citizen"], factories.UserFactory()
    c, d = factories.UserFactory(), factories.UserFactory()
    c1 = comment_services.post_comment(author=a, consultation=consultation, body="Plus de pistes.")
    c2 = comment_services.post_comment(author=b, consultation=consultation, body="Et des arceaux.")
    c3 = comment_services.post_comment(author=b, consultation=consultation, body="Hors sujet.")
    reply = comment_services.post_comment(
        author=a, consultation=consultation, body="D’accord.", parent=c2
    )
    official = comment_services.post_comment(
        author=users["agent"],
        consultation=consultation,
        body="C’est prévu.",
        parent=c1,
        official=True,
    )
    comment_services.move_to_state(c3, State.REJECTED)
    support = comment_services.set_support(user=c, comment=c1, supported=True)
    poll = factories.poll(consultation)
    first, second, third = poll.questions.all()
    poll_services.cast_ballot(
        voter=d,
        poll=poll,
        answers={
            first.pk: factories.choice_ids(poll, 0)[0],
            second.pk: [factories.choice_ids(poll, 1)[0]],
            third.pk: "",
        },
    )
    services.give_feedback(user=a, consultation=consultation, rating=4)
    services.give_feedback(user=d, consultation=consultation, rating=2, comment="Trop court.")
    # Day -2: c1, c2 (A and B arrive). Day -1: the rest.
    dated(c1, at(-2, 10))
    dated(c2, at(-2, 11))
    for obj in (c3, reply):
        dated(obj, at(-1, 9))
    dated(official, at(-1, 10))  # 24 h after c1
    from participation.models import Ballot, Support

    Support.objects.update(created_at=at(-1, 12))
    Ballot.objects.update(created_at=at(-1, 13))
    Feedback.objects.update(created_at=at(-1, 14))
    PageVisits.objects.create(page_id=consultation.pk, day=at(-2).date(), count=4)
    PageVisits.objects.create(page_id=consultation.pk, day=at(-1).date(), count=6)
    ShareCount.objects.create(page_id=consultation.pk, day=at(-1).date(), network="x", count=3)
    services.rollup(consultation)
    return support


def test_figures_equal_the_hand_counted_values(consultation, activity):
    result = queries.figures(consultation=consultation, start=at(-2).date(), end=at(0).date())
    totals = result.totals
    assert totals["visits"] == 10
    assert totals["participants"] == 4  # A, B, C (support), D (ballot); not the agent
    assert totals["comments"] == 3 and totals["replies"] == 1
    assert totals["official_answers"] == 1 and totals["answered"] == 1
    assert totals["supports"] == 1 and totals["ballots"] == 1 and totals["shares"] == 3
    assert (totals["published"], totals["held"], totals["rejected"]) == (3, 0, 1)
    assert result.engagement_rate == pytest.approx(40.0)
    assert result.satisfaction == pytest.approx(3.0)
    assert result.median_answer_seconds == 24 * 3600
    by_day = {row["period"]: row for row in result.series}
    assert by_day[at(-2).date()]["participants"] == 2
    assert by_day[at(-1).date()]["participants"] == 2
    assert by_day[at(-1).date()]["comments"] == 1
    assert by_day[at(0).date()]["comments"] == 0  # an empty day is still a row


def test_weekly_figures_add_up_the_days(consultation, activity):
    daily = queries.figures(consultation=consultation, start=at(-20).date(), end=at(0).date())
    weekly = queries.figures(
        consultation=consultation, start=at(-20).date(), end=at(0).date(), granularity="week"
    )
    assert weekly.totals == daily.totals
    assert all(row["period"].weekday() == 0 for row in weekly.series)


def test_site_wide_figures_include_every_consultation(consultation, consultation_index, activity):
    other = factories.consultation(consultation_index, title="Budget")
    PageVisits.objects.create(page_id=other.pk, day=at(-1).date(), count=5)
    result = queries.figures(start=at(-2).date(), end=at(0).date())
    assert result.totals["visits"] == 15
    assert result.totals["comments"] == 3


def test_rollup_is_idempotent(consultation, activity):
    before = list(DailyFigures.objects.order_by("day").values())
    services.rollup(consultation)
    after = list(DailyFigures.objects.order_by("day").values())
    assert [dict(row, id=None) for row in before] == [dict(row, id=None) for row in after]


def test_dashboard_reads_a_fixed_number_of_queries(
    client, users, consultation, activity, django_assert_max_num_queries
):
    client.force_login(users["communication"])
    url = (
        f"/admin/participation/?consultation={consultation.pk}"
        f"&start={at(-30).date()}&end={at(0).date()}"
    )
    client.get(url)
    with django_assert_max_num_queries(25):
        response = client.get(url)
    assert response.status_code == 200


def test_objectives_show_progress(consultation, activity):
    from participation.models import Objective

    Objective.objects.create(consultation=consultation, metric="participants", target=8)
    Objective.objects.create(consultation=consultation, metric="answered_percent", target=30)
    progress = {item["objective"].metric: item for item in queries.objectives(consultation)}
    assert progress["participants"]["value"] == 4
    assert progress["participants"]["percent"] == pytest.approx(50.0)
    # 1 of 3 comments answered officially: 33 %, past the 30 % target.
    assert progress["answered_percent"]["value"] == pytest.approx(100 / 3)
    assert progress["answered_percent"]["percent"] == 100.0


# --- Feedback --------------------------------------------------------------------------


def test_feedback_is_once_per_person_and_within_range(users, consultation):
    citizen = users["citizen"]
    comment_services.post_comment(author=citizen, consultation=consultation, body="Un avis.")
    with pytest.raises(ValidationError, match="de 1 à 5"):
        services.give_feedback(user=citizen, consultation=consultation, rating=6)
    with pytest.raises(ValidationError, match="de 1 à 5"):
        services.give_feedback(user=citizen, consultation=consultation, rating="beaucoup")
    assert not Feedback.objects.exists()
    services.give_feedback(user=citizen, consultation=consultation, rating=5, comment="Merci")
    with pytest.raises(ValidationError, match="déjà répondu"):
        services.give_feedback(user=citizen, consultation=consultation, rating=1)
    assert list(Feedback.objects.values_list("rating", flat=True)) == [5]


def test_only_participants_answer_the_feedback_question(users, consultation):
    with pytest.raises(PermissionDenied):
        services.give_feedback(user=users["citizen"], consultation=consultation, rating=3)
    with pytest.raises(PermissionDenied):
        services.give_feedback(user=users["anonymous"], consultation=consultation, rating=3)


def test_feedback_form_appears_after_participating_and_works_without_javascript(
    client, users, consultation
):
    citizen = users["citizen"]
    client.force_login(citizen)
    assert (
        "Cette consultation vous a-t-elle été utile ?"
        not in client.get(consultation.url).content.decode()
    )
    comment_services.post_comment(author=citizen, consultation=consultation, body="Un avis.")
    assert (
        "Cette consultation vous a-t-elle été utile ?"
        in client.get(consultation.url).content.decode()
    )
    url = f"/participation/consultations/{consultation.pk}/avis/"
    refused = client.post(url, {"rating": "9", "comment": "Mon texte"})
    assert refused.status_code == 400
    assert "de 1 à 5" in refused.content.decode() and "Mon texte" in refused.content.decode()
    response = client.post(url, {"rating": "4", "comment": ""})
    assert response.status_code == 302
    assert Feedback.objects.get().rating == 4
    again = client.post(url, {"rating": "2"})
    assert again.status_code == 400 and Feedback.objects.get().rating == 4


# --- Follows and results ----------------------------------------------------------------


def test_follow_is_an_explicit_opt_in(client, users, consultation):
    client.force_login(users["citizen"])
    url = f"/participation/consultations/{consultation.pk}/suivre/"
    assert client.post(url, {"follow": "1"}).status_code == 302
    assert Follow.objects.filter(user=users["citizen"]).exists()
    client.post(url, {"follow": "0"})
    assert not Follow.objects.exists()
    client.logout()
    client.post(url, {"follow": "1"})
    assert not Follow.objects.exists()


def test_publishing_results_tells_followers_once(
    users, closed_consultation, django_capture_on_commit_callbacks
):
    follower = users["citizen"]
    Follow.objects.create(consultation=closed_consultation, user=follower)
    team = users["communication"]
    services.save_results(
        user=team,
        consultation=closed_consultation,
        summary="Vous voulez plus d’horaires.",
        decisions="Ouverture le dimanche.\n\nUn créneau le soir.",
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_results(user=team, consultation=closed_consultation)
    assert [message.to for message in mail.outbox] == [[follower.email]]
    assert "Médiathèque" in mail.outbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_results(user=team, consultation=closed_consultation)
    assert len(mail.outbox) == 1


def test_results_need_a_closed_consultation_and_the_team(users, consultation):
    with pytest.raises(PermissionDenied):
        services.save_results(
            user=users["moderator"], consultation=consultation, summary="x", decisions="y"
        )
    services.save_results(
        user=users["communication"], consultation=consultation, summary="x", decisions="y"
    )
    with pytest.raises(ValidationError, match="terminée"):
        services.publish_results(user=users["communication"], consultation=consultation)


def test_published_results_come_first_on_the_page(client, users, closed_consultation):
    team = users["communication"]
    services.save_results(
        user=team,
        consultation=closed_consultation,
        summary="Vous voulez plus d’horaires.",
        decisions="Ouverture le dimanche.\n\nUn créneau le soir.",
    )
    html = client.get(closed_consultation.url).content.decode()
    assert "Ouverture le dimanche" not in html  # saved, not published
    services.publish_results(user=team, consultation=closed_consultation)
    html = client.get(closed_consultation.url).content.decode()
    assert "Vous avez dit, nous avons fait" in html
    assert html.index("Ouverture le dimanche") < html.index("Le texte.")


def test_open_data_of_a_closed_consultation(client, users, closed_consultation, consultation):
    poll = factories.poll(closed_consultation)
    data = client.get(
        f"/participation/consultations/{closed_consultation.pk}/donnees-ouvertes.json"
    ).json()
    assert data["consultation"] == "Médiathèque"
    assert {row["choice"] for row in data["polls"]} >= {"À vélo", "En bus"}
    assert poll.title in {row["poll"] for row in data["polls"]}
    csv_response = client.get(
        f"/participation/consultations/{closed_consultation.pk}/donnees-ouvertes.csv"
    )
    assert csv_response["Content-Type"].startswith("text/csv")
    assert (
        client.get(
            f"/participation/consultations/{consultation.pk}/donnees-ouvertes.json"
        ).status_code
        == 404
    )
    assert (
        client.get(
            f"/participation/consultations/{closed_consultation.pk}/donnees-ouvertes.xml"
        ).status_code
        == 404
    )
