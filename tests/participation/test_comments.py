"""Comment threads through their services: what a person notices after each action,
and every bad input refused with a French message and nothing half-written."""

import asyncio
import uuid
from datetime import timedelta

import pytest
import time_machine
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from participation import events, ratelimits
from participation.models import (
    Comment,
    CommentModeration,
    CommentVersion,
    Report,
    State,
    Support,
    ThreadStats,
)
from participation.services import comments as services
from tests import factories


@pytest.fixture
def other_consultation(consultation_index):
    return factories.consultation(consultation_index, title="Budget participatif")


def post(author, consultation, body="Un avis.", **kwargs):
    return services.post_comment(author=author, consultation=consultation, body=body, **kwargs)


def total(consultation) -> int:
    stats = ThreadStats.objects.filter(pk=consultation.pk).first()
    return stats.comments if stats else 0


# --- Posting ----------------------------------------------------------------------------


def test_citizen_posts_a_published_comment_counted_in_the_thread(users, consultation):
    comment = post(users["citizen"], consultation, "Plus de pistes cyclables, svp.")
    comment.refresh_from_db()
    assert comment.state == State.PUBLISHED
    assert comment.body == "Plus de pistes cyclables, svp."
    assert comment.depth == 0 and comment.parent is None and comment.root is None
    assert total(consultation) == 1


def test_text_is_cleaned_but_line_breaks_are_kept(users, consultation):
    comment = post(
        users["citizen"], consultation, "  Première ligne\r\nDeuxième\u200b ligne  \n\n\n\nFin "
    )
    assert comment.body == "Première ligne\nDeuxième ligne\n\nFin"


@pytest.mark.parametrize("body", ["", "   \n  ", None])
def test_empty_comment_is_refused(users, consultation, body):
    with pytest.raises(ValidationError, match="Écrivez votre commentaire avant de le publier"):
        post(users["citizen"], consultation, body)
    assert not Comment.objects.exists()


def test_oversize_comment_is_refused_with_its_length(users, consultation, settings):
    settings.TRIBUNE_COMMENT_MAX_LENGTH = 2000
    post(users["citizen"], consultation, "a" * 2000)  # exactly the limit is fine
    with pytest.raises(ValidationError, match="2001 caractères : 2000 au maximum"):
        post(users["citizen"], consultation, "a" * 2001)
    assert Comment.objects.count() == 1


def test_position_only_when_the_consultation_asks(users, consultation):
    assert post(users["citizen"], consultation, position="pour").position == ""
    consultation.comment_positions = True
    consultation.save()
    assert post(users["citizen"], consultation, position="contre").position == "contre"
    with pytest.raises(ValidationError, match="Choisissez pour, contre ou neutre"):
        post(users["citizen"], consultation, position="peut-être")


def test_a_priori_moderation_holds_new_comments_as_pending(users, consultation):
    consultation.comment_moderation = CommentModeration.A_PRIORI
    consultation.save()
    comment = post(users["citizen"], consultation)
    assert comment.state == State.PENDING
    assert total(consultation) == 0


def test_a_double_click_creates_one_comment(users, consultation):
    key = str(uuid.uuid4())
    first = post(users["citizen"], consultation, "Une fois.", key=key)
    second = post(users["citizen"], consultation, "Une fois.", key=key)
    assert first.pk == second.pk
    assert Comment.objects.count() == 1
    assert total(consultation) == 1


def test_comments_are_rate_limited_per_person(users, consultation, settings):
    settings.TRIBUNE_RATE_LIMITS = {**settings.TRIBUNE_RATE_LIMITS, "comment": (5, 60)}
    for n in range(5):
        post(users["citizen"], consultation, f"Avis {n}")
    with pytest.raises(ratelimits.RateLimited, match="Vous allez un peu vite"):
        post(users["citizen"], consultation, "Un de trop")
    assert Comment.objects.count() == 5
    post(users["agent"], consultation, "Une autre personne peut encore écrire.")


# --- Replies ----------------------------------------------------------------------------


def test_replies_nest_to_four_levels_then_attach_beside_the_fourth(users, consultation):
    citizen, other = users["citizen"], users["agent"]
    top = post(citizen, consultation, "Niveau 1")
    level2 = post(other, consultation, "Niveau 2", parent=top)
    level3 = post(citizen, consultation, "Niveau 3", parent=level2)
    level4 = post(other, consultation, "Niveau 4", parent=level3)
    deeper = post(citizen, consultation, "Encore plus bas", parent=level4)
    assert [c.depth for c in (top, level2, level3, level4)] == [0, 1, 2, 3]
    assert deeper.depth == 3
    assert deeper.parent_id == level3.pk
    assert deeper.in_reply_to_id == level4.pk
    assert {c.root_id for c in (level2, level3, level4, deeper)} == {top.pk}
    top.refresh_from_db()
    level2.refresh_from_db()
    assert top.replies_count == 4
    assert level2.replies_count == 3
    assert total(consultation) == 5


def test_reply_to_a_comment_of_another_consultation_is_refused(
    users, consultation, other_consultation
):
    elsewhere = post(users["citizen"], other_consultation)
    with pytest.raises(ValidationError, match="appartient à une autre consultation"):
        post(users["agent"], consultation, parent=elsewhere)
    assert Comment.objects.count() == 1


def test_reply_to_a_deleted_comment_is_refused(users, consultation):
    comment = post(users["citizen"], consultation)
    services.delete_comment(user=users["citizen"], comment=comment)
    with pytest.raises(PermissionDenied, match="ne peut plus recevoir de réponses"):
        post(users["agent"], consultation, parent=comment)
    assert Comment.objects.count() == 1


def test_depth_beyond_the_limit_cannot_be_written_even_directly(users, consultation):
    from django.db import IntegrityError, transaction

    top = post(users["citizen"], consultation)
    with pytest.raises(IntegrityError), transaction.atomic():
        Comment.objects.create(
            consultation=consultation, author=users["citizen"], parent=top, root=top, depth=4
        )


def test_official_answer_comes_first_and_flags_the_comment(users, consultation):
    top = post(users["citizen"], consultation, "Quand les travaux ?")
    first = post(users["moderator"], consultation, "Je me pose la même question.", parent=top)
    official = post(users["agent"], consultation, "En mars 2027.", parent=top, official=True)
    assert official.is_official and official.state == State.PUBLISHED
    top.refresh_from_db()
    assert top.has_official_answer
    order = list(Comment.objects.filter(root=top).order_by("path").values_list("pk", flat=True))
    assert order == [official.pk, first.pk]


def test_official_answer_skips_pre_moderation_and_citizens_cannot_give_one(users, consultation):
    consultation.comment_moderation = CommentModeration.A_PRIORI
    consultation.save()
    top = post(users["citizen"], consultation)
    services.move_to_state(top, State.PUBLISHED)
    with pytest.raises(
        PermissionDenied, match="Seuls les agents, l’équipe communication et l’équipe de modération"
    ):
        post(users["citizen"], consultation, parent=top, official=True)
    answer = post(users["communication"], consultation, "Réponse.", parent=top, official=True)
    assert answer.state == State.PUBLISHED


def test_official_answers_are_replies(users, consultation):
    with pytest.raises(ValidationError, match="Une réponse officielle répond à un commentaire"):
        post(users["agent"], consultation, official=True)


# --- Editing and deleting --------------------------------------------------------------


def test_author_edits_within_the_window_and_versions_are_kept(users, consultation, settings):
    settings.TRIBUNE_COMMENT_EDIT_MINUTES = 15
    comment = post(users["citizen"], consultation, "Premier jet")
    with time_machine.travel(timezone.now() + timedelta(minutes=14), tick=False):
        edited = services.edit_comment(user=users["citizen"], comment=comment, body="Version 2")
    assert edited.body == "Version 2"
    assert edited.edited_at is not None
    version = CommentVersion.objects.get(comment=comment)
    assert version.body == "Premier jet"
    assert version.reason == CommentVersion.Reason.EDITED
    with (
        time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False),
        pytest.raises(PermissionDenied, match="pendant les 15 minutes"),
    ):
        services.edit_comment(user=users["citizen"], comment=edited, body="Trop tard")
    comment.refresh_from_db()
    assert comment.body == "Version 2"


def test_only_the_author_edits(users, consultation):
    comment = post(users["citizen"], consultation)
    with pytest.raises(PermissionDenied, match="Seul l’auteur ou l’autrice"):
        services.edit_comment(user=users["moderator"], comment=comment, body="Réécrit")


def test_editing_under_a_priori_moderation_goes_back_to_the_moderators(users, consultation):
    comment = post(users["citizen"], consultation, "Texte relu")
    consultation.comment_moderation = CommentModeration.A_PRIORI
    consultation.save()
    comment.consultation = consultation
    edited = services.edit_comment(user=users["citizen"], comment=comment, body="Texte changé")
    assert edited.state == State.PENDING
    assert total(consultation) == 0


def test_author_deletes_and_replies_stay_in_place(users, consultation):
    top = post(users["citizen"], consultation, "Mon avis")
    reply = post(users["agent"], consultation, "Une réponse", parent=top)
    deleted = services.delete_comment(user=users["citizen"], comment=top)
    assert deleted.state == State.DELETED
    assert deleted.body == ""
    assert CommentVersion.objects.get(comment=top).body == "Mon avis"  # for moderators
    reply.refresh_from_db()
    assert reply.parent_id == top.pk and reply.state == State.PUBLISHED
    assert total(consultation) == 1
    with pytest.raises(PermissionDenied, match="déjà été supprimé"):
        services.delete_comment(user=users["citizen"], comment=deleted)


def test_deleting_a_reply_lowers_its_ancestors_counts(users, consultation):
    top = post(users["citizen"], consultation)
    reply = post(users["agent"], consultation, parent=top)
    services.delete_comment(user=users["agent"], comment=reply)
    top.refresh_from_db()
    assert top.replies_count == 0


def test_deleting_the_only_official_answer_clears_the_flag(users, consultation):
    top = post(users["citizen"], consultation)
    answer = post(users["agent"], consultation, parent=top, official=True)
    services.delete_comment(user=users["agent"], comment=answer)
    top.refresh_from_db()
    assert not top.has_official_answer


# --- Supports ---------------------------------------------------------------------------


def test_support_is_one_per_person_toggled_and_counted(users, consultation):
    comment = post(users["citizen"], consultation)
    services.set_support(user=users["agent"], comment=comment, supported=True)
    services.set_support(user=users["agent"], comment=comment, supported=True)  # double click
    services.set_support(user=users["moderator"], comment=comment, supported=True)
    comment.refresh_from_db()
    assert comment.supports_count == 2
    assert Support.objects.filter(comment=comment).count() == 2
    services.set_support(user=users["agent"], comment=comment, supported=False)
    services.set_support(user=users["agent"], comment=comment, supported=False)
    comment.refresh_from_db()
    assert comment.supports_count == 1


def test_nobody_supports_their_own_comment(users, consultation):
    comment = post(users["citizen"], consultation)
    with pytest.raises(PermissionDenied, match="votre propre commentaire"):
        services.set_support(user=users["citizen"], comment=comment, supported=True)
    assert comment.supports.count() == 0


def test_supports_are_rate_limited(users, consultation, settings):
    settings.TRIBUNE_RATE_LIMITS = {**settings.TRIBUNE_RATE_LIMITS, "support": (2, 60)}
    comments = [post(users["citizen"], consultation, f"Avis {n}") for n in range(3)]
    services.set_support(user=users["agent"], comment=comments[0], supported=True)
    services.set_support(user=users["agent"], comment=comments[1], supported=True)
    with pytest.raises(ratelimits.RateLimited):
        services.set_support(user=users["agent"], comment=comments[2], supported=True)
    comments[2].refresh_from_db()
    assert comments[2].supports_count == 0


# --- Reports ----------------------------------------------------------------------------


def test_report_is_stored_once_per_person(users, consultation):
    comment = post(users["citizen"], consultation)
    services.report_comment(reporter=users["agent"], comment=comment, reason="spam")
    with pytest.raises(ValidationError, match="déjà signalé ce commentaire"):
        services.report_comment(reporter=users["agent"], comment=comment, reason="abuse")
    comment.refresh_from_db()
    assert comment.reports_count == 1
    assert Report.objects.get().reason == "spam"


def test_reporting_ones_own_comment_is_refused(users, consultation):
    comment = post(users["citizen"], consultation)
    with pytest.raises(PermissionDenied, match="signaler votre propre commentaire"):
        services.report_comment(reporter=users["citizen"], comment=comment, reason="spam")
    assert not Report.objects.exists()


def test_report_reason_other_needs_details_and_reasons_are_checked(users, consultation):
    comment = post(users["citizen"], consultation)
    with pytest.raises(ValidationError, match="Dites en quelques mots"):
        services.report_comment(reporter=users["agent"], comment=comment, reason="other")
    with pytest.raises(ValidationError, match="Choisissez la raison"):
        services.report_comment(reporter=users["agent"], comment=comment, reason="nimporte")
    services.report_comment(
        reporter=users["agent"], comment=comment, reason="other", details="Doublon d’un autre."
    )
    assert Report.objects.get().details == "Doublon d’un autre."


def test_reports_are_rate_limited(users, consultation, settings):
    settings.TRIBUNE_RATE_LIMITS = {**settings.TRIBUNE_RATE_LIMITS, "report": (1, 3600)}
    first, second = post(users["citizen"], consultation), post(users["citizen"], consultation)
    services.report_comment(reporter=users["agent"], comment=first, reason="spam")
    with pytest.raises(ratelimits.RateLimited):
        services.report_comment(reporter=users["agent"], comment=second, reason="spam")
    assert Report.objects.count() == 1


# --- Broadcasts -------------------------------------------------------------------------


@pytest.fixture
def layer(settings):
    """The in-memory channel layer (a real one; Redis delivery is tested in test_shared)."""
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    yield get_channel_layer()
    channel_layers.backends.clear()


def listen(layer, group):
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group, channel)
    return channel


def received(layer, channel) -> list[dict]:
    async def drain():
        found = []
        while True:
            try:
                message = await asyncio.wait_for(layer.receive(channel), timeout=0.2)
            except TimeoutError:
                return found
            found.append(message["event"])

    return async_to_sync(drain)()


def test_public_events_follow_each_action_without_private_data(
    users, consultation, layer, django_capture_on_commit_callbacks
):
    public = listen(layer, events.consultation_group(consultation.pk))
    moderators = listen(layer, events.MODERATORS_GROUP)
    with django_capture_on_commit_callbacks(execute=True):
        comment = post(users["citizen"], consultation, "Bonjour")
    with django_capture_on_commit_callbacks(execute=True):
        services.set_support(user=users["agent"], comment=comment, supported=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.report_comment(reporter=users["agent"], comment=comment, reason="spam")
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_comment(user=users["citizen"], comment=comment)
    found = received(layer, public)
    assert [event["type"] for event in found] == [
        "comment.created",
        "comment.supports",
        "comment.deleted",
    ]
    assert found[0]["body"] == "Bonjour"
    assert found[0]["author"] == users["citizen"].display_name
    assert found[1] == {
        "type": "comment.supports",
        "consultation": consultation.pk,
        "id": comment.pk,
        "supports": 1,
    }
    flat = repr(found)
    assert users["citizen"].email not in flat and users["agent"].email not in flat
    assert users["agent"].display_name not in flat  # who supported or reported: never public
    assert [event["type"] for event in received(layer, moderators)] == ["comment.reported"]


def test_pending_text_never_reaches_the_public(
    users, consultation, layer, django_capture_on_commit_callbacks
):
    consultation.comment_moderation = CommentModeration.A_PRIORI
    consultation.save()
    public = listen(layer, events.consultation_group(consultation.pk))
    moderators = listen(layer, events.MODERATORS_GROUP)
    with django_capture_on_commit_callbacks(execute=True):
        post(users["citizen"], consultation, "Texte en attente")
    assert received(layer, public) == []
    pending = received(layer, moderators)
    assert [event["type"] for event in pending] == ["comment.pending"]
    assert "Texte en attente" not in repr(pending)


def test_nothing_is_broadcast_for_a_refused_write(
    users, consultation, layer, django_capture_on_commit_callbacks
):
    public = listen(layer, events.consultation_group(consultation.pk))
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        post(users["citizen"], consultation, "")
    assert received(layer, public) == []
