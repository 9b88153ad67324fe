"""Who may do what in a comment thread: every role × every action, then the reasons
people read when they may not."""

from datetime import timedelta

import pytest
from django.utils import timezone

from participation import permissions
from participation.services import comments as services
from tests import factories

ACTIONS = [
    # (action, applies to the consultation rather than the comment)
    (permissions.COMMENT, True),
    (permissions.REPLY, False),
    (permissions.ANSWER_OFFICIALLY, False),
    (permissions.EDIT_COMMENT, False),
    (permissions.DELETE_COMMENT, False),
    (permissions.SUPPORT_COMMENT, False),
    (permissions.REPORT_COMMENT, False),
    (permissions.SEE_COMMENT_HISTORY, False),
]

# On an open consultation, about a published comment written by "author".
#                comment reply  official edit   delete support report history
MATRIX = {
    "anonymous": (False, False, False, False, False, False, False, False),
    "unverified": (False, False, False, False, False, False, False, False),
    "citizen": (True, True, False, False, False, True, True, False),
    "author": (True, True, False, True, True, False, False, False),
    "agent": (True, True, True, False, False, True, True, False),
    "moderator": (True, True, True, False, False, True, True, True),
    "communication": (True, True, True, False, False, True, True, False),
    "administrator": (True, True, True, False, False, True, True, True),
}


@pytest.fixture
def people(users):
    return {**users, "author": factories.UserFactory()}


@pytest.fixture
def thread(consultation_index, people):
    consultation = factories.consultation(consultation_index, title="Ouverte")
    comment = services.post_comment(
        author=people["author"], consultation=consultation, body="Mon avis."
    )
    return consultation, comment


def test_every_rule_is_in_the_matrix():
    names = {name for name, _on in ACTIONS}
    assert {name for name in permissions.RULES if name.startswith("participation.")} >= names
    assert all(len(row) == len(ACTIONS) for row in MATRIX.values())


@pytest.mark.parametrize("role", list(MATRIX))
def test_permission_matrix(people, thread, role):
    consultation, comment = thread
    person = people[role]
    allowed = {}
    for name, on_consultation in ACTIONS:
        target = consultation if on_consultation else comment
        allowed[name] = permissions.can(person, name, target)
        if not allowed[name]:
            assert permissions.reason(person, name, target), f"{role} / {name}: no reason given"
    assert allowed == {name: MATRIX[role][i] for i, (name, _on) in enumerate(ACTIONS)}


def test_on_a_closed_consultation_only_answers_reports_and_deletion_remain(
    people, consultation_index
):
    consultation = factories.consultation(consultation_index, title="Bientôt finie")
    comment = services.post_comment(author=people["author"], consultation=consultation, body="x")
    now = timezone.now()
    consultation.opens_at, consultation.closes_at = (
        now - timedelta(days=10),
        now - timedelta(days=1),
    )
    consultation.save()
    comment.consultation = consultation
    assert consultation.status == "closed"
    assert permissions.reason(people["citizen"], permissions.COMMENT, consultation) == (
        "Cette consultation est terminée."
    )
    assert not permissions.can(people["citizen"], permissions.REPLY, comment)
    assert not permissions.can(people["citizen"], permissions.SUPPORT_COMMENT, comment)
    assert not permissions.can(people["author"], permissions.EDIT_COMMENT, comment)
    assert permissions.can(people["author"], permissions.DELETE_COMMENT, comment)
    assert permissions.can(people["citizen"], permissions.REPORT_COMMENT, comment)
    assert permissions.can(people["agent"], permissions.ANSWER_OFFICIALLY, comment)


@pytest.mark.parametrize(
    ("role", "opens_in", "closes_in", "expected"),
    [
        ("anonymous", -1, 10, "Connectez-vous pour participer."),
        ("unverified", -1, 10, "Confirmez votre adresse e-mail pour participer"),
        ("citizen", 3, 10, "Cette consultation ouvre le"),
        ("citizen", -10, -1, "Cette consultation est terminée."),
    ],
)
def test_why_you_cannot_comment(people, consultation_index, role, opens_in, closes_in, expected):
    consultation = factories.consultation(
        consultation_index, opens_in=opens_in, closes_in=closes_in
    )
    assert permissions.reason(people[role], permissions.COMMENT, consultation).startswith(expected)


def test_comments_turned_off_say_so(people, consultation_index):
    consultation = factories.consultation(consultation_index, comments_enabled=False)
    assert permissions.reason(people["citizen"], permissions.COMMENT, consultation) == (
        "Les commentaires sont désactivés sur cette consultation."
    )
