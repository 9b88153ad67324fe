"""Personal data held by participation, declared to consent's registry (DESIGN.md:
consent never imports participation; it discovers this module)."""

import json

from django.utils.translation import gettext_lazy as _

from consent import registry
from consent.registry import Choice, LegalBasis, anonymise, by_choice, delete, fields, unlink
from participation.models import (
    Comment,
    CommentVersion,
    Position,
    Selection,
    State,
    TextAnswer,
)
from participation.models.comments import comment_url_prefix
from participation.services import comments as comment_services

CONTRIBUTIONS = _("Your contributions")


def export_ballots(entry, user):
    """One row per answer: what the person chose or wrote, poll by poll."""
    selections = (
        Selection.objects.filter(ballot__voter=user)
        .select_related("ballot__poll__consultation", "question", "choice")
        .order_by("ballot__poll_id", "question__sort_order", "pk")
    )
    for selection in selections.iterator():
        yield _ballot_row(selection.ballot, selection.question, selection.choice.label)
    answers = (
        TextAnswer.objects.filter(ballot__voter=user)
        .select_related("ballot__poll__consultation", "question")
        .order_by("ballot__poll_id", "question__sort_order", "pk")
    )
    for answer in answers.iterator():
        yield _ballot_row(answer.ballot, answer.question, answer.text)


export_ballots.columns = ("consultation", "poll", "question", "answer", "cast_at", "changed_at")


def _ballot_row(ballot, question, answer):
    return {
        "consultation": ballot.poll.consultation.title,
        "poll": ballot.poll.title,
        "question": question.text,
        "answer": answer,
        "cast_at": ballot.created_at,
        "changed_at": ballot.updated_at,
    }


def erase_ballots(entry, user_ids, choice):
    """Ballots stay in the tallies whatever the choice (the results were published with
    them); erasing also deletes the free-text answers, the only part written by the
    person in their own words."""
    removed = 0
    if choice == Choice.ERASE:
        removed, _per_model = TextAnswer.objects.filter(ballot__voter_id__in=user_ids).delete()
    return removed + unlink()(entry, user_ids, choice)


erase_ballots.action = "choice"

registry.register_data(
    "participation.Ballot",
    user_fields=["voter"],
    category=CONTRIBUTIONS,
    purpose=_("Count your vote in consultation polls and let you change it until closing."),
    legal_basis=LegalBasis.PUBLIC_INTEREST,
    recipients=_(
        "Nobody sees individual ballots on the site; the communication team reads free-text "
        "answers, never published."
    ),
    retention=_(
        "Kept with the consultation; on account deletion the ballot stays in the results, "
        "no longer linked to you (free-text answers are deleted if you choose to erase)."
    ),
    export=export_ballots,
    export_name="votes",
    erase=erase_ballots,
    contribution=True,
    order=10,
)


def export_comments(entry, user):
    """Every comment and reply the person wrote, whatever its state, with the earlier
    versions kept after an edit (moderators see them; so may their author)."""
    versions = {}
    for version in (
        CommentVersion.objects.filter(comment__author=user)
        .order_by("comment_id", "replaced_at", "pk")
        .iterator()
    ):
        versions.setdefault(version.comment_id, []).append(
            {
                "text": version.body,
                "position": version.position,
                "written_at": version.written_at.isoformat(),
                "replaced_at": version.replaced_at.isoformat(),
                "reason": version.reason,
            }
        )
    states, positions = dict(State.choices), dict(Position.choices)
    prefix = comment_url_prefix()
    # Plain values, not model instances: a person may have written thousands.
    comments = (
        Comment.objects.filter(author=user)
        .order_by("created_at", "pk")
        .values(
            "pk",
            "consultation__title",
            "parent_id",
            "state",
            "position",
            "is_official",
            "body",
            "created_at",
            "edited_at",
            "deleted_at",
        )
    )
    for comment in comments.iterator():
        earlier = versions.get(comment["pk"])
        yield {
            "id": comment["pk"],
            "consultation": comment["consultation__title"],
            "reply_to": comment["parent_id"],
            "permalink": f"{prefix}{comment['pk']}/",
            "state": states.get(comment["state"], comment["state"]),
            "position": positions.get(comment["position"], ""),
            "official_answer": comment["is_official"],
            "text": comment["body"],
            "posted_at": comment["created_at"],
            "edited_at": comment["edited_at"],
            "deleted_at": comment["deleted_at"],
            "previous_versions": json.dumps(earlier, ensure_ascii=False) if earlier else "",
        }


export_comments.columns = (
    "id",
    "consultation",
    "reply_to",
    "permalink",
    "state",
    "position",
    "official_answer",
    "text",
    "posted_at",
    "edited_at",
    "deleted_at",
    "previous_versions",
)


def erase_comments(entry, user_ids, choice):
    return comment_services.erase_authored(user_ids)


registry.register_data(
    "participation.Comment",
    user_fields=["author"],
    page=("participation:my_moderation", _("Moderation of my comments")),
    category=CONTRIBUTIONS,
    purpose=_("Publish your comments and replies in the consultation threads."),
    legal_basis=LegalBasis.PUBLIC_INTEREST,
    recipients=_(
        "Everyone, once published, under your display name; moderators also see pending, "
        "hidden and earlier versions."
    ),
    retention=_(
        "Kept with the consultation, a public-interest record. On account deletion they stay "
        "in place shown as « Participant·e supprimé·e », or are erased if you choose so "
        "(replies to them stay in place)."
    ),
    export=export_comments,
    export_name="commentaires",
    erase=by_choice(keep=anonymise(), erase=erase_comments),
    contribution=True,
    order=20,
)


def erase_supports(entry, user_ids, choice):
    return comment_services.withdraw_supports(user_ids)


erase_supports.action = "delete"

registry.register_data(
    "participation.Support",
    user_fields=["user"],
    category=CONTRIBUTIONS,
    purpose=_("Count your support for a comment and let you withdraw it."),
    legal_basis=LegalBasis.PUBLIC_INTEREST,
    recipients=_("Nobody: only the number of supports is shown."),
    retention=_("Until you withdraw it; deleted with your account, and the counts follow."),
    export=fields("comment_id", "comment__consultation__title", "created_at"),
    export_name="soutiens",
    erase=erase_supports,
    order=10,
)

registry.register_data(
    "participation.Report",
    user_fields=["reporter"],
    category=CONTRIBUTIONS,
    purpose=_("Let the moderators examine a comment you reported."),
    legal_basis=LegalBasis.PUBLIC_INTEREST,
    recipients=_("The moderators."),
    retention=_(
        "Kept with the moderation record; on account deletion the report stays, no longer "
        "linked to you."
    ),
    export=fields("comment_id", "reason", "details", "created_at"),
    export_name="signalements",
    erase=unlink(),
    order=10,
)


# --- Moderation -----------------------------------------------------------------------
MODERATION = _("Moderation")


def export_decisions(entry, user):
    """Moderation decisions about the person's comments (never who took them)."""
    rows = (
        entry.model_class.objects.filter(author=user)
        .select_related("comment__consultation")
        .order_by("created_at", "pk")
    )
    for decision in rows.iterator():
        yield {
            "comment": decision.comment_id,
            "consultation": decision.comment.consultation.title,
            "decision": decision.get_action_display(),
            "reason": decision.get_reason_display() if decision.reason else "",
            "note": decision.note,
            "decided_at": decision.created_at,
        }


export_decisions.columns = ("comment", "consultation", "decision", "reason", "note", "decided_at")

registry.register_data(
    "participation.ModerationDecision",
    user_fields=["author", "moderator"],
    category=MODERATION,
    purpose=_("Tell you why a comment of yours was rejected or hidden, and keep the record."),
    legal_basis=LegalBasis.PUBLIC_INTEREST,
    recipients=_("You and the moderators."),
    retention=_(
        "Kept with the moderation record; on account deletion it stays, no longer linked to you."
    ),
    export=export_decisions,
    export_name="decisions-de-moderation",
    erase=unlink(),
    order=15,
)

registry.register_data(
    "participation.Appeal",
    user_fields=["author", "decided_by"],
    category=MODERATION,
    purpose=_("Examine your appeal against a moderation decision."),
    legal_basis=LegalBasis.PUBLIC_INTEREST,
    recipients=_("The moderators."),
    retention=_(
        "Kept with the moderation record; on account deletion it stays, no longer linked to you."
    ),
    export=fields("comment_id", "text", "status", "answer", "created_at", "decided_at"),
    export_name="contestations",
    erase=unlink(),
    order=15,
)


def export_bans(entry, user):
    rows = entry.model_class.objects.filter(user=user).order_by("created_at", "pk")
    return rows.values("reason", "created_at", "ends_at", "lifted_at").iterator()


export_bans.columns = ("reason", "created_at", "ends_at", "lifted_at")


def erase_bans(entry, user_ids, choice):
    """A deleted account's bans go with it; bans decided or lifted by a deleted
    moderator stay, no longer linked to them."""
    model = entry.model_class
    removed, _per_model = model.objects.filter(user_id__in=user_ids).delete()
    removed += model.objects.filter(moderator_id__in=user_ids).update(moderator=None)
    return removed + model.objects.filter(lifted_by_id__in=user_ids).update(lifted_by=None)


erase_bans.action = "delete"

registry.register_data(
    "participation.Ban",
    user_fields=["user", "moderator", "lifted_by"],
    category=MODERATION,
    purpose=_("Keep a banned account from taking part until the end of its ban."),
    legal_basis=LegalBasis.PUBLIC_INTEREST,
    recipients=_("The moderators."),
    retention=_("Deleted with your account."),
    export=export_bans,
    export_name="bannissements",
    erase=erase_bans,
    order=15,
)

registry.register_data(
    "participation.ModerationAlert",
    user_fields=["seen_by"],
    category=MODERATION,
    purpose=_("Show the moderation team who has already looked at an alert, and when."),
    legal_basis=LegalBasis.PUBLIC_INTEREST,
    recipients=_("The moderators."),
    retention=_("Kept with the alert; on account deletion it stays, no longer linked to you."),
    export=fields("kind", "consultation__title", "created_at", "seen_at"),
    export_name="alertes-vues",
    erase=unlink(),
    order=15,
)

registry.register_data(
    "participation.ModeratorScope",
    user_fields=["moderator"],
    category=MODERATION,
    purpose=_("Limit a moderator to some consultations."),
    legal_basis=LegalBasis.PUBLIC_INTEREST,
    recipients=_("Administrators."),
    retention=_("Deleted with the account."),
    export=fields("consultation__title"),
    export_name="perimetres-de-moderation",
    erase=delete(),
    order=15,
)


# --- Community management -------------------------------------------------------------

registry.register_data(
    "participation.Feedback",
    user_fields=["user"],
    category=CONTRIBUTIONS,
    purpose=_("Count your answer to « Was this consultation useful to you? » in the figures."),
    legal_basis=LegalBasis.PUBLIC_INTEREST,
    recipients=_("The communication team, without your name; only averages are shown."),
    retention=_(
        "Kept with the consultation; on account deletion the rating stays in the figures, "
        "no longer linked to you (your comment is erased if you choose to erase)."
    ),
    export=fields("consultation__title", "rating", "comment", "created_at"),
    export_name="avis",
    erase=by_choice(keep=unlink(), erase=unlink(comment="")),
    contribution=True,
    order=30,
)

registry.register_data(
    "participation.Follow",
    user_fields=["user"],
    category=_("Notifications"),
    purpose=_(
        "Tell you what happens in the consultations, threads and themes you follow "
        "(followed when you comment or vote, unless you turned that off)."
    ),
    legal_basis=LegalBasis.CONSENT,
    recipients=_("Nobody: notifications are made automatically."),
    retention=_("Until you stop following, or delete your account."),
    export=fields(
        "consultation__title", "thread_id", "theme__name", "automatic", "created_at", "notified_at"
    ),
    export_name="suivis",
    erase=delete(),
    order=40,
)

registry.register_data(
    "participation.Notification",
    user_fields=["recipient"],
    category=_("Notifications"),
    purpose=_(
        "Your notification centre, and the e-mails you chose: replies, official answers, "
        "moderation decisions, results, new and closing consultations."
    ),
    legal_basis=LegalBasis.CONSENT,
    recipients=_("Nobody: only you see your notifications."),
    retention=_("1 year, read or not; deleted with your account."),
    export=fields(
        "kind", "consultation__title", "comment_id", "created_at", "read_at", "emailed_at"
    ),
    export_name="notifications",
    erase=delete(),
    retention_rules=["participation.notifications"],
    order=40,
)

registry.register_data(
    "participation.NotificationPreference",
    user_fields=["user"],
    category=_("Notifications"),
    purpose=_(
        "Your choices of e-mails per kind of notification (each change is also a proof of consent)."
    ),
    legal_basis=LegalBasis.CONSENT,
    recipients=_("Nobody."),
    retention=_("Until you delete your account."),
    export=fields(
        "reply",
        "official_answer",
        "decision",
        "results",
        "new_consultation",
        "closing",
        "auto_follow",
        "updated_at",
    ),
    export_name="preferences-notifications",
    erase=delete(),
    order=40,
)

registry.register_rule(
    registry.RetentionRule(
        key="participation.notifications",
        label=_("Notifications of the notification centre, read or not"),
        model="participation.Notification",
        setting="notifications",
        action="delete",
        due=registry.older_than("participation.Notification", "created_at"),
        apply=registry.delete_rows,
    )
)

registry.register_data(
    "participation.ConsultationResults",
    user_fields=["published_by"],
    category=_("Your work in the administration"),
    purpose=_("Record who published the results of a consultation."),
    legal_basis=LegalBasis.PUBLIC_INTEREST,
    recipients=_("The communication team and administrators."),
    retention=_("Kept with the consultation; on account deletion, no longer linked to you."),
    export=fields("consultation__title", "published_at"),
    export_name="resultats-publies",
    erase=unlink(),
    order=40,
)
