"""The poll on the consultation page: voting by plain POST or in place, results, errors."""

import re
from datetime import timedelta
from urllib.parse import unquote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from participation.models import Ballot, TextAnswer
from participation.queries import polls as poll_queries
from participation.services import polls as poll_services
from tests import factories
from tests.clients import BROWSER, Client


@pytest.fixture
def poll(consultation):
    return factories.poll(consultation)


def logged_in(client, user):
    client.force_login(user)
    return client


def vote_url(poll):
    return reverse("participation:poll_vote", args=[poll.pk])


def form_data(poll, single=0, multiple=(0,), text=""):
    first, second, third = poll.questions.all()
    return {
        first.field_name: str(factories.choice_ids(poll, 0)[single]),
        second.field_name: [str(factories.choice_ids(poll, 1)[i]) for i in multiple],
        third.field_name: text,
    }


def poll_html(response, poll) -> str:
    html = response.content.decode()
    start = html.index(f'<section id="sondage-{poll.pk}"')
    return html[start : html.index("</section>", start)]


def checked(html, poll, question_index, choice_index) -> bool:
    question = poll.questions.all()[question_index]
    choice_id = factories.choice_ids(poll, question_index)[choice_index]
    pattern = rf'<input[^>]*name="{question.field_name}" value="{choice_id}"[^>]*>'
    tag = re.search(pattern, html).group(0)
    return "checked" in tag


def test_anonymous_visitor_sees_the_poll_and_how_to_take_part(client, poll, consultation):
    response = client.get(consultation.url)
    html = poll_html(response, poll)
    assert "Sondage ouvert" in html
    assert "0 participant·e" in html
    assert "Connectez-vous pour participer." in html
    assert "Se connecter pour voter" in html
    assert "<form" not in html
    assert "Les résultats s’affichent une fois que vous avez voté." in html


def test_citizen_votes_without_javascript_and_sees_the_results(client, users, poll, consultation):
    client = logged_in(client, users["citizen"])
    page = client.get(consultation.url)
    form = poll_html(page, poll)
    assert "<legend" in form and "Comment venez-vous au centre-ville ?" in form
    assert "Cochez 2 réponses au plus." in form
    assert "Lu par l’équipe de la ville, jamais publié." in form

    response = client.post(vote_url(poll), form_data(poll, 1, (0, 2), "Plus d'arceaux"))
    assert response.status_code == 302
    assert response["Location"] == f"{consultation.url}#sondage-{poll.pk}"
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "Votre vote est enregistré. Merci de votre participation !" in html
    result = poll_html(page, poll)
    assert "1 participant·e" in result
    assert "Vous avez voté à ce sondage" in result
    assert "(votre choix)" in result
    assert "<table>" in result and "Part des participant·es" in result
    assert "Modifier mon vote" in result
    assert checked(result, poll, 0, 1) and not checked(result, poll, 0, 0)
    assert Ballot.objects.get(poll=poll).voter == users["citizen"]


def test_results_show_numbers_and_percentages_as_text(client, users, poll, consultation):
    for role, single in (("citizen", 0), ("agent", 0), ("moderator", 2)):
        poll_services.cast_ballot(
            voter=users[role],
            poll=poll,
            answers={
                q.pk: v
                for q, v in zip(
                    poll.questions.all(),
                    [factories.choice_ids(poll, 0)[single], [factories.choice_ids(poll, 1)[0]], ""],
                    strict=True,
                )
            },
        )
    html = poll_html(logged_in(client, users["citizen"]).get(consultation.url), poll)
    assert "<strong>67&#8239;%</strong>" in html and "(2 voix)" in html
    assert "<strong>33&#8239;%</strong>" in html and "(1 voix)" in html
    assert "<td>66,7&#8239;%</td>" in html
    assert 'width="66.7"' in html  # the SVG bar, unlocalized


def test_a_bad_ballot_comes_back_with_the_choices_and_text_kept(client, users, poll, consultation):
    client = logged_in(client, users["citizen"])
    response = client.post(vote_url(poll), form_data(poll, 2, (0, 1, 2), "Mon texte à garder"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Votre vote n’a pas pu être enregistré" in html
    assert f'href="#sondage-{poll.pk}"' in html
    form = poll_html(response, poll)
    assert "Vous pouvez choisir 2 réponses au plus : vous en avez coché 3." in form
    assert 'aria-invalid="true"' in form
    assert checked(form, poll, 0, 2)
    assert all(checked(form, poll, 1, i) for i in range(3))
    assert "Mon texte à garder" in form
    assert not Ballot.objects.exists()


def test_vote_in_place_answers_the_poll_fragment(client, users, poll):
    client = logged_in(client, users["citizen"])
    response = client.post(vote_url(poll), form_data(poll, 0), headers={"X-Tribune-Fragment": "1"})
    assert response.status_code == 200
    html = response.content.decode().strip()
    assert html.startswith(f'<section id="sondage-{poll.pk}"')
    assert "<html" not in html
    assert "(votre choix)" in html
    assert unquote(response["X-Tribune-Announce"]) == (
        "Votre vote est enregistré. Merci de votre participation !"
    )


def test_every_problem_of_a_ballot_shows_at_once(client, users, poll):
    client = logged_in(client, users["citizen"])
    data = form_data(poll, 0, (0, 1, 2))
    del data[poll.questions.all()[0].field_name]
    html = poll_html(client.post(vote_url(poll), data), poll)
    assert "Choisissez une réponse." in html
    assert "Vous pouvez choisir 2 réponses au plus : vous en avez coché 3." in html


def test_a_bad_ballot_in_place_keeps_the_answers(client, users, poll):
    client = logged_in(client, users["citizen"])
    data = form_data(poll, 0, (), "Texte gardé")
    response = client.post(vote_url(poll), data, headers={"X-Tribune-Fragment": "1"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choisissez au moins une réponse." in html
    assert "Texte gardé" in html
    assert checked(html, poll, 0, 0)
    assert "Votre vote n’a pas pu être enregistré" in unquote(response["X-Tribune-Announce"])


def test_a_tampered_choice_gets_a_message(client, users, poll):
    client = logged_in(client, users["citizen"])
    data = form_data(poll)
    data[poll.questions.all()[0].field_name] = str(factories.choice_ids(poll, 1)[0])
    response = client.post(vote_url(poll), data)
    assert response.status_code == 400
    assert "Ce choix ne fait pas partie de cette question" in response.content.decode()


def test_changing_one_ballot_in_place(client, users, poll):
    client = logged_in(client, users["citizen"])
    client.post(vote_url(poll), form_data(poll, 0))
    response = client.post(vote_url(poll), form_data(poll, 1), headers={"X-Tribune-Fragment": "1"})
    assert unquote(response["X-Tribune-Announce"]) == "Votre vote est modifié."
    counts = poll_queries.results([poll])[poll.pk]
    assert counts.participants == 1
    assert counts.count(factories.choice_ids(poll, 0)[0]) == 0
    assert counts.count(factories.choice_ids(poll, 0)[1]) == 1


def test_anonymous_post_is_refused_with_the_reason(client, poll):
    response = client.post(vote_url(poll), form_data(poll))
    assert response.status_code == 403
    assert "Connectez-vous pour participer." in response.content.decode()
    assert not Ballot.objects.exists()


def test_vote_needs_the_csrf_token(users, poll):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["citizen"])
    response = client.post(vote_url(poll), form_data(poll))
    assert response.status_code == 403
    assert not Ballot.objects.exists()


def test_rate_limited_vote_keeps_the_choices(client, users, poll, settings):
    settings.TRIBUNE_VOTE_RATE_LIMIT = 1
    client = logged_in(client, users["citizen"])
    client.post(vote_url(poll), form_data(poll, 0))
    response = client.post(vote_url(poll), form_data(poll, 2))
    assert response.status_code == 429
    html = poll_html(response, poll)
    assert "Vous allez un peu vite" in html
    assert checked(html, poll, 0, 2)


def test_unpublished_poll_and_draft_consultation_are_not_found(client, users, consultation_index):
    client = logged_in(client, users["citizen"])
    consultation = factories.consultation(consultation_index, title="Brouillon")
    hidden = factories.poll(consultation, published=False)
    assert client.post(vote_url(hidden), form_data(hidden)).status_code == 404
    assert f'id="sondage-{hidden.pk}"' not in client.get(consultation.url).content.decode()
    shown = factories.poll(consultation)
    consultation.unpublish()
    assert client.post(vote_url(shown), form_data(shown)).status_code == 404


def test_get_on_the_vote_url_goes_back_to_the_poll(client, poll, consultation):
    response = client.get(vote_url(poll))
    assert response.status_code == 302
    assert response["Location"] == f"{consultation.url}#sondage-{poll.pk}"


def test_results_after_closing_stay_hidden_while_the_poll_is_open(client, users, consultation):
    poll = factories.poll(
        consultation,
        results_visibility="after_closing",
        closes_at=timezone.now() + timedelta(days=3),
    )
    client = logged_in(client, users["citizen"])
    client.post(vote_url(poll), form_data(poll))
    html = poll_html(client.get(consultation.url), poll)
    assert "Les résultats seront publiés à la clôture du sondage, le" in html
    assert "(votre choix)" not in html
    poll.closes_at = timezone.now() - timedelta(seconds=1)
    poll.save()
    html = poll_html(Client().get(consultation.url), poll)
    assert "Sondage clos" in html
    assert "Part des participant·es" in html
    assert "Clos le" in html
    assert "<form" not in html


def test_results_always_visible_are_shown_to_anonymous_visitors(client, users, consultation):
    poll = factories.poll(consultation, results_visibility="always")
    html = poll_html(client.get(consultation.url), poll)
    assert "Part des participant·es" in html


def test_free_text_answers_are_never_published(client, users, poll, consultation):
    logged_in(client, users["citizen"]).post(
        vote_url(poll), form_data(poll, text="Mon adresse : 3 rue des Lilas")
    )
    assert TextAnswer.objects.filter(text="Mon adresse : 3 rue des Lilas").exists()
    other = logged_in(Client(), users["agent"])
    other.post(vote_url(poll), form_data(poll))
    for viewer in (Client(), other):
        html = viewer.get(consultation.url).content.decode()
        assert "3 rue des Lilas" not in html
    assert "Les réponses libres sont lues par l’équipe de la ville" in html


def test_poll_content_is_escaped(client, consultation):
    factories.poll(consultation, title="<script>alert(1)</script>")
    html = client.get(consultation.url).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_closed_poll_without_change_says_so(client, users, consultation):
    poll = factories.poll(consultation, allow_change=False)
    client = logged_in(client, users["citizen"])
    client.post(vote_url(poll), form_data(poll))
    html = poll_html(client.get(consultation.url), poll)
    assert "Ce sondage ne permet pas de modifier son vote." in html
    assert "<form" not in html


def page_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, HTTP_USER_AGENT=BROWSER).status_code == 200
    return len(queries)


def test_poll_section_costs_the_same_with_few_or_many_ballots(
    client, users, consultation, settings
):
    """The consultation page's query count does not grow with ballots (counters, not scans)."""
    settings.TRIBUNE_PAGE_CACHE_SECONDS = 0  # rendering measured, not the page cache
    poll = factories.poll(consultation, results_visibility="always")
    second = factories.poll(consultation, title="Un autre sondage")
    voter = users["citizen"]
    client = logged_in(client, voter)
    for each in (poll, second):
        client.post(vote_url(each), form_data(each, 1, (0, 1), "Un avis"))
    client.get(consultation.url, HTTP_USER_AGENT=BROWSER)  # warm caches (site root, settings)
    few = page_queries(client, consultation.url)
    anonymous_few = page_queries(Client(), consultation.url)

    # Ballots whose accounts were erased (voter None) are as real as any for the tallies,
    # and cheap to create by the hundred.
    voters = [factories.UserFactory() for _ in range(5)] + [None] * 495
    for each in (poll, second):
        poll_services.import_ballots(
            each,
            [
                (
                    person,
                    {
                        q.pk: form_data(each, n % 3, (n % 3,))[q.field_name]
                        for q in each.questions.all()
                    },
                )
                for n, person in enumerate(voters)
            ],
        )
    assert poll_queries.results([poll])[poll.pk].participants == 501
    many = page_queries(client, consultation.url)
    assert many == few
    assert page_queries(Client(), consultation.url) == anonymous_few
    assert "501 participant·es" in poll_html(client.get(consultation.url), poll)


def test_a_poll_behind_a_password_protected_consultation_is_not_found(client, users, poll):
    from wagtail.models import PageViewRestriction

    PageViewRestriction.objects.create(
        page=poll.consultation, restriction_type=PageViewRestriction.PASSWORD, password="secret"
    )
    client = logged_in(client, users["citizen"])
    assert client.post(vote_url(poll), form_data(poll)).status_code == 404
    assert not Ballot.objects.exists()


def test_an_upcoming_consultation_shows_its_poll_and_when_it_opens(
    client, users, consultation_index
):
    upcoming = factories.consultation(consultation_index, title="Bientôt", opens_in=5)
    poll = factories.poll(upcoming)
    html = poll_html(logged_in(client, users["citizen"]).get(upcoming.url), poll)
    assert "Sondage à venir" in html
    assert "Cette consultation ouvre le" in html
    assert "<form" not in html


def test_a_consultation_not_saved_yet_has_no_polls(db):
    """The admin previews a new consultation before it has an id."""
    from participation.models import ConsultationPage

    assert poll_queries.published_polls(ConsultationPage(title="Nouvelle")) == []


def test_each_reader_sees_their_own_answers_in_the_ballot_form(client, users, poll, consultation):
    # The blank ballot's markup is kept between pages: it must still be each person's.
    logged_in(client, users["citizen"]).post(vote_url(poll), form_data(poll, 0, (0,)))
    logged_in(Client(), users["agent"]).post(vote_url(poll), form_data(poll, 1, (1,)))
    for _round in range(2):
        for user, single, multiple in ((users["citizen"], 0, 0), (users["agent"], 1, 1)):
            html = poll_html(logged_in(Client(), user).get(consultation.url), poll)
            assert checked(html, poll, 0, single) and not checked(html, poll, 0, 1 - single)
            assert checked(html, poll, 1, multiple) and not checked(html, poll, 1, 1 - multiple)
        fresh = poll_html(logged_in(Client(), users["communication"]).get(consultation.url), poll)
        assert not any(checked(fresh, poll, 0, index) for index in (0, 1))


def test_the_ballot_form_follows_the_language_and_edits_of_its_questions(
    client, users, poll, consultation
):
    client = logged_in(client, users["citizen"])
    assert "Cochez" in poll_html(client.get(consultation.url), poll)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Tick" in poll_html(client.get(consultation.url), poll)
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    first = poll.questions.all()[0]
    choice = first.choices.get(pk=factories.choice_ids(poll, 0)[0])
    choice.label = "Le tramway"
    choice.save()  # as the admin's poll form does
    assert "Le tramway" in poll_html(client.get(consultation.url), poll)
