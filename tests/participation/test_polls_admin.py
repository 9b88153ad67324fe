"""The communication team edits polls in the Wagtail admin; ballots freeze their choices."""

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from participation.models import Choice, Poll, Question
from participation.permissions import grant_poll_admin_permissions
from participation.queries import polls as poll_queries
from participation.services import polls as poll_services
from tests import factories
from tests.clients import Client


@pytest.fixture
def staff(users):
    grant_poll_admin_permissions()
    return users


def management(prefix, total, initial):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def poll_data(consultation, questions, title="Vos déplacements", **fields):
    """POST data of the poll editor. questions: dicts with text, kind, max, choices (dicts
    with label and optional id / delete), optional id / delete."""
    data = {
        "consultation": str(consultation.pk),
        "title": title,
        "intro": "",
        "closes_at": "",
        "results_visibility": "after_voting",
        "allow_change": "on",
        "is_published": "on",
        **fields,
    }
    data.update(management("questions", len(questions), sum(1 for q in questions if q.get("id"))))
    for i, question in enumerate(questions):
        prefix = f"questions-{i}"
        data.update(
            {
                f"{prefix}-id": str(question.get("id", "")),
                f"{prefix}-text": question["text"],
                f"{prefix}-kind": question["kind"],
                f"{prefix}-max_choices": str(question.get("max") or ""),
                f"{prefix}-ORDER": str(i + 1),
                f"{prefix}-DELETE": "on" if question.get("delete") else "",
            }
        )
        choices = question.get("choices", [])
        data.update(
            management(f"{prefix}-choices", len(choices), sum(1 for c in choices if c.get("id")))
        )
        for j, choice in enumerate(choices):
            data.update(
                {
                    f"{prefix}-choices-{j}-id": str(choice.get("id", "")),
                    f"{prefix}-choices-{j}-label": choice["label"],
                    f"{prefix}-choices-{j}-ORDER": str(j + 1),
                    f"{prefix}-choices-{j}-DELETE": "on" if choice.get("delete") else "",
                }
            )
    return {key: value for key, value in data.items() if value != ""}


def current(poll):
    """The editor's data for a poll as it is."""
    return [
        {
            "id": question.pk,
            "text": question.text,
            "kind": question.kind,
            "max": question.max_choices,
            "choices": [{"id": c.pk, "label": c.label} for c in question.choices.all()],
        }
        for question in poll.questions.all()
    ]


def admin(client, user):
    client.force_login(user)
    return client


NEW_QUESTIONS = [
    {
        "text": "Comment venez-vous ?",
        "kind": "single",
        "choices": [{"label": "À vélo"}, {"label": "En bus"}],
    },
    {
        "text": "Quels aménagements ?",
        "kind": "multiple",
        "max": 2,
        "choices": [{"label": "Pistes"}, {"label": "Arceaux"}, {"label": "Ateliers"}],
    },
    {"text": "Une remarque ?", "kind": "text"},
]


def test_communication_creates_a_poll_with_questions_and_choices(client, staff, consultation):
    client = admin(client, staff["communication"])
    response = client.post(reverse("polls:add"), poll_data(consultation, NEW_QUESTIONS))
    assert response.status_code == 302, response.content.decode()[:3000]
    poll = Poll.objects.get(title="Vos déplacements")
    assert poll.consultation_id == consultation.pk and poll.is_published
    questions = list(poll.questions.order_by("sort_order"))
    assert [q.text for q in questions] == [q["text"] for q in NEW_QUESTIONS]
    assert [c.label for c in questions[1].choices.order_by("sort_order")] == [
        "Pistes",
        "Arceaux",
        "Ateliers",
    ]
    assert questions[1].max_choices == 2
    assert ModelLogEntry.objects.filter(action="wagtail.create", object_id=str(poll.pk)).exists()
    # It is on the consultation page at once.
    assert "Comment venez-vous ?" in client.get(consultation.url).content.decode()


@pytest.mark.parametrize(
    ("question", "message"),
    [
        (
            {"text": "Une seule ?", "kind": "single", "choices": [{"label": "Oui"}]},
            "Une question à choix demande au moins deux choix.",
        ),
        (
            {"text": "Libre ?", "kind": "text", "choices": [{"label": "Oui"}]},
            "Une question à réponse libre n’a pas de choix",
        ),
        (
            {
                "text": "Trop ?",
                "kind": "multiple",
                "max": 3,
                "choices": [{"label": "A"}, {"label": "B"}],
            },
            "Le maximum (3) dépasse le nombre de choix (2).",
        ),
        (
            {
                "text": "Max ?",
                "kind": "single",
                "max": 1,
                "choices": [{"label": "A"}, {"label": "B"}],
            },
            "Un maximum ne s’applique qu’à une question à choix multiples.",
        ),
    ],
)
def test_a_malformed_question_is_refused_in_french(client, staff, consultation, question, message):
    client = admin(client, staff["communication"])
    response = client.post(reverse("polls:add"), poll_data(consultation, [question]))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Poll.objects.exists()


def test_a_poll_closing_after_its_consultation_is_refused(client, staff, consultation):
    client = admin(client, staff["communication"])
    late = (consultation.closes_at.replace(microsecond=0)).strftime("%Y-%m-%d %H:%M")
    data = poll_data(consultation, NEW_QUESTIONS)
    data["closes_at"] = late.replace(late[:4], str(int(late[:4]) + 1))
    response = client.post(reverse("polls:add"), data)
    assert "Le sondage ne peut pas se clore après sa consultation" in response.content.decode()
    assert not Poll.objects.exists()


@pytest.fixture
def voted_poll(staff, consultation):
    poll = factories.poll(consultation)
    first, second, _third = poll.questions.all()
    poll_services.cast_ballot(
        voter=staff["citizen"],
        poll=poll,
        answers={
            first.pk: factories.choice_ids(poll, 0)[0],
            second.pk: [factories.choice_ids(poll, 1)[0]],
        },
    )
    return poll


def refused_edit(client, poll, questions):
    before = list(Choice.objects.order_by("pk").values_list("pk", "label"))
    questions_before = list(Question.objects.order_by("pk").values_list("pk", "text", "kind"))
    response = client.post(
        reverse("polls:edit", args=[poll.pk]), poll_data(poll.consultation, questions)
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "1 personne a déjà voté." in html
    assert "ses questions et ses choix ne peuvent plus être ajoutés, modifiés ni supprimés" in html
    assert list(Choice.objects.order_by("pk").values_list("pk", "label")) == before
    assert (
        list(Question.objects.order_by("pk").values_list("pk", "text", "kind")) == questions_before
    )
    return html


def test_renaming_a_choice_with_ballots_is_refused(client, staff, voted_poll):
    client = admin(client, staff["communication"])
    questions = current(voted_poll)
    questions[0]["choices"][0]["label"] = "En trottinette"
    html = refused_edit(client, voted_poll, questions)
    assert "Verrouillé : ce sondage a déjà reçu des votes." in html


def test_deleting_a_choice_with_ballots_is_refused(client, staff, voted_poll):
    client = admin(client, staff["communication"])
    questions = current(voted_poll)
    questions[0]["choices"][0]["delete"] = True
    refused_edit(client, voted_poll, questions)


def test_adding_a_choice_or_a_question_after_ballots_is_refused(client, staff, voted_poll):
    client = admin(client, staff["communication"])
    questions = current(voted_poll)
    questions[0]["choices"].append({"label": "À pied"})
    refused_edit(client, voted_poll, questions)
    questions = current(voted_poll)
    questions.append({"text": "Encore ?", "kind": "text"})
    refused_edit(client, voted_poll, questions)


def test_deleting_a_question_with_ballots_is_refused(client, staff, voted_poll):
    client = admin(client, staff["communication"])
    questions = current(voted_poll)
    questions[1]["delete"] = True
    refused_edit(client, voted_poll, questions)


def test_title_and_settings_stay_editable_after_ballots(client, staff, voted_poll):
    client = admin(client, staff["communication"])
    data = poll_data(voted_poll.consultation, current(voted_poll), title="Nouveau titre")
    data["results_visibility"] = "always"
    response = client.post(reverse("polls:edit", args=[voted_poll.pk]), data)
    assert response.status_code == 302
    voted_poll.refresh_from_db()
    assert voted_poll.title == "Nouveau titre"
    assert voted_poll.results_visibility == "always"
    assert poll_queries.results([voted_poll])[voted_poll.pk].participants == 1


def test_choices_stay_editable_before_any_ballot(client, staff, consultation):
    poll = factories.poll(consultation)
    client = admin(client, staff["communication"])
    questions = current(poll)
    questions[0]["choices"][0]["label"] = "En trottinette"
    questions[0]["choices"].append({"label": "À pied"})
    response = client.post(
        reverse("polls:edit", args=[poll.pk]), poll_data(consultation, questions)
    )
    assert response.status_code == 302
    first = poll.questions.all()[0]
    labels = list(
        Choice.objects.filter(question=first).order_by("sort_order").values_list("label", flat=True)
    )
    assert labels == ["En trottinette", "En bus", "En voiture", "À pied"]


def test_an_edit_in_the_admin_shows_at_once_on_the_consultation_page(client, staff, consultation):
    """The page remembers its polls' structure; the editor's save makes it forget."""
    poll = factories.poll(consultation)
    reader = Client()
    reader.force_login(staff["citizen"])  # sees the ballot form, choices included
    assert "En bus" in reader.get(consultation.url).content.decode()
    questions = current(poll)
    questions[0]["choices"][1]["label"] = "En car"
    questions[0]["choices"][2]["delete"] = True  # "En voiture"
    client = admin(client, staff["communication"])
    response = client.post(
        reverse("polls:edit", args=[poll.pk]), poll_data(consultation, questions)
    )
    assert response.status_code == 302
    html = reader.get(consultation.url).content.decode()
    assert "En car" in html and "En bus" not in html and "En voiture" not in html
    response = client.post(
        reverse("polls:edit", args=[poll.pk]), poll_data(consultation, questions, is_published="")
    )
    assert response.status_code == 302
    assert "En car" not in reader.get(consultation.url).content.decode()


def test_results_view_shows_tallies_and_free_text_to_communication(client, staff, voted_poll):
    third = voted_poll.questions.all()[2]
    poll_services.cast_ballot(
        voter=staff["agent"],
        poll=voted_poll,
        answers={
            voted_poll.questions.all()[0].pk: factories.choice_ids(voted_poll, 0)[1],
            voted_poll.questions.all()[1].pk: [factories.choice_ids(voted_poll, 1)[1]],
            third.pk: "Plus de <b>pistes</b> près du lycée",
        },
    )
    client = admin(client, staff["communication"])
    response = client.get(reverse("polls:inspect", args=[voted_poll.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Résultats" in html
    assert "<dd>2</dd>" in html  # participants
    assert "<td>50,0&#8239;%</td>" in html
    assert "1 réponse libre, jamais publiée." in html
    assert "Plus de &lt;b&gt;pistes&lt;/b&gt; près du lycée" in html
    listing = client.get(reverse("polls:index")).content.decode()
    assert "Résultats et réponses" in listing
    assert voted_poll.title in listing


# A moderator is in the admin but has no poll permission: Wagtail sends them back to its
# home. Agents and citizens never enter the admin (accounts.middleware answers 403).
@pytest.mark.parametrize(
    ("role", "refused"), [("moderator", 302), ("agent", 403), ("citizen", 403)]
)
def test_other_roles_cannot_reach_polls_in_the_admin(client, staff, voted_poll, role, refused):
    client = admin(client, staff[role])
    for url in (
        reverse("polls:index"),
        reverse("polls:inspect", args=[voted_poll.pk]),
        reverse("polls:edit", args=[voted_poll.pk]),
    ):
        response = client.get(url)
        assert response.status_code == refused, url
        if refused == 302:
            assert response["Location"] == "/admin/", url
        assert "près du lycée" not in response.content.decode()


def test_administrators_manage_polls_too(client, staff, voted_poll):
    client = admin(client, staff["administrator"])
    assert client.get(reverse("polls:inspect", args=[voted_poll.pk])).status_code == 200


def test_deleting_a_poll_warns_about_its_ballots(client, staff, voted_poll):
    client = admin(client, staff["communication"])
    page = client.get(reverse("polls:delete", args=[voted_poll.pk])).content.decode()
    assert "Ce sondage a reçu 1 vote." in page
    assert "Cette action est définitive." in page
    response = client.post(reverse("polls:delete", args=[voted_poll.pk]))
    assert response.status_code == 302
    assert not Poll.objects.exists()


def test_the_poll_listing_searches_and_filters(client, staff, consultation, consultation_index):
    factories.poll(consultation, title="Vos trajets à vélo")
    other = factories.consultation(consultation_index, title="Médiathèque")
    factories.poll(other, title="Horaires de la médiathèque", published=False)
    client = admin(client, staff["communication"])
    found = client.get(reverse("polls:index"), {"q": "vélo"}).content.decode()
    assert "Vos trajets à vélo" in found and "Horaires de la médiathèque" not in found
    listing = client.get(reverse("polls:index"), {"consultation": other.pk}).content.decode()
    assert "Horaires de la médiathèque" in listing and "Vos trajets à vélo" not in listing
    assert "Non affiché sur le site" in listing
