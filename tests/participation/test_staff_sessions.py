"""Staff powers on the public site follow the session, as in the admin: a team member
whose session never typed the authenticator code acts as any signed-in person."""

import pytest

from participation.models import Comment
from participation.services import comments as services


@pytest.fixture
def question(users, consultation):
    return services.post_comment(
        author=users["citizen"], consultation=consultation, body="Quand commencent les travaux ?"
    )


def reply(client, question, body):
    return client.post(
        f"/participation/commentaires/{question.pk}/repondre/",
        {"body": body, "official": "on", "key": body},
    )


def test_an_official_answer_needs_a_session_that_typed_the_code(client, users, question):
    team_member = users["communication"]  # answers in the name of the institution
    client.force_login(team_member, second_factor=False)
    response = reply(client, question, "Les travaux commencent en mars.")
    assert response.status_code == 403
    assert "Les travaux commencent en mars." in response.content.decode()  # the text comes back
    assert not Comment.objects.filter(is_official=True).exists()

    client.force_login(team_member)  # signed in again, code typed
    response = reply(client, question, "Les travaux commencent en mars.")
    assert response.status_code == 302
    assert Comment.objects.get(is_official=True).body == "Les travaux commencent en mars."


def test_agents_answer_officially_without_a_second_factor(client, users, question):
    # Agents have no admin access and no authenticator to ask for.
    client.force_login(users["agent"], second_factor=False)
    assert reply(client, question, "Réponse de l’agent.").status_code == 302
    assert Comment.objects.filter(is_official=True).count() == 1
