"""The reasons people read when they may not act in a comment thread (every role ×
every action is in test_permission_matrix.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from participation import permissions
from participation.services import comments as services
from tests import factories


@pytest.fixture
def people(users):
    return {**users, "author": factories.UserFactory()}


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
