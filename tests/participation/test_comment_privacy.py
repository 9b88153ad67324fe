"""A person's comments, supports and reports in their data export, and what deleting
their account does to the threads: replies stay, every counter stays right."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from consent.registry import Choice
from consent.services.erasure import erase_accounts
from consent.services.exports import collect
from participation.models import Comment, CommentVersion, Report, State, Support, ThreadStats
from participation.services import comments as services
from tests import factories


@pytest.fixture
def thread(consultation_index, users):
    """Camille (citizen) posts and edits a comment, Karim (agent account) replies, and
    Camille answers Karim; each supports the other's comment."""
    consultation = factories.consultation(consultation_index, title="Plan vélo")
    camille, karim = users["citizen"], users["agent"]
    top = services.post_comment(author=camille, consultation=consultation, body="Premier jet")
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        top = services.edit_comment(user=camille, comment=top, body="Plus de pistes")
    reply = services.post_comment(
        author=karim, consultation=consultation, body="D’accord", parent=top
    )
    answer = services.post_comment(
        author=camille, consultation=consultation, body="Merci", parent=reply
    )
    services.set_support(user=karim, comment=top, supported=True)
    services.set_support(user=camille, comment=reply, supported=True)
    services.report_comment(reporter=camille, comment=reply, reason="off_topic", details="Hors")
    return consultation, top, reply, answer


def rows(user, name):
    return next(rows for entry, _columns, rows in collect(user) if entry.export_name == name)


def fresh(*comments):
    return [Comment.objects.get(pk=comment.pk) for comment in comments]


def test_export_holds_comments_with_versions_supports_and_reports(thread, users):
    _consultation, top, reply, _answer = thread
    comments = rows(users["citizen"], "commentaires")
    assert [row["text"] for row in comments] == ["Plus de pistes", "Merci"]
    assert comments[0]["permalink"] == top.get_absolute_url()
    assert comments[1]["reply_to"] == reply.pk
    earlier = json.loads(comments[0]["previous_versions"])
    assert [version["text"] for version in earlier] == ["Premier jet"]
    assert [row["comment_id"] for row in rows(users["citizen"], "soutiens")] == [reply.pk]
    assert [row["reason"] for row in rows(users["citizen"], "signalements")] == ["off_topic"]
    assert [row["text"] for row in rows(users["agent"], "commentaires")] == ["D’accord"]


def test_keeping_contributions_leaves_the_text_under_a_deleted_participant(thread, users, client):
    consultation, top, reply, answer = thread
    erase_accounts([users["citizen"].pk], choice=Choice.ANONYMISE)
    top, reply, answer = fresh(top, reply, answer)
    assert (top.body, top.state, top.author_id) == ("Plus de pistes", State.PUBLISHED, None)
    assert CommentVersion.objects.filter(comment=top).count() == 1  # moderators' record
    assert ThreadStats.objects.get(pk=consultation.pk).comments == 3
    assert top.replies_count == 2
    # Camille's support for Karim's reply goes with her account; Karim's for hers stays.
    assert (top.supports_count, reply.supports_count) == (1, 0)
    assert Support.objects.filter(comment=reply).count() == 0
    assert Report.objects.get(comment=reply).reporter is None
    html = client.get(consultation.url).content.decode()
    assert "Plus de pistes" in html
    assert "Participant·e supprimé·e" in html


def test_erasing_contributions_blanks_them_and_keeps_the_replies(thread, users, client):
    consultation, top, reply, answer = thread
    erase_accounts([users["citizen"].pk], choice=Choice.ERASE)
    top, reply, answer = fresh(top, reply, answer)
    for comment in (top, answer):
        assert (comment.body, comment.state, comment.author_id) == ("", State.DELETED, None)
        assert comment.deleted_at is not None
    assert not CommentVersion.objects.filter(comment__in=[top, answer]).exists()
    # Karim's reply stays in place under the erased comment, and is the only one counted.
    assert (reply.body, reply.state, reply.parent_id) == ("D’accord", State.PUBLISHED, top.pk)
    assert ThreadStats.objects.get(pk=consultation.pk).comments == 1
    assert (top.replies_count, reply.replies_count) == (1, 0)
    assert (top.supports_count, reply.supports_count) == (1, 0)
    html = client.get(consultation.url).content.decode()
    assert "Plus de pistes" not in html and "Merci" not in html
    assert "Commentaire supprimé par son auteur" in html
    assert "D’accord" in html


def test_erasing_an_official_answer_clears_the_flag_of_its_comment(consultation_index, users):
    consultation = factories.consultation(consultation_index, title="Budget")
    top = services.post_comment(author=users["citizen"], consultation=consultation, body="Q ?")
    services.post_comment(
        author=users["agent"], consultation=consultation, body="R.", parent=top, official=True
    )
    assert Comment.objects.get(pk=top.pk).has_official_answer
    erase_accounts([users["agent"].pk], choice=Choice.ERASE)
    assert not Comment.objects.get(pk=top.pk).has_official_answer
