"""Personal data held by participation, declared to consent's registry (DESIGN.md:
consent never imports participation; it discovers this module)."""

from django.utils.translation import gettext_lazy as _

from consent import registry
from consent.registry import Choice, LegalBasis, unlink
from participation.models import Selection, TextAnswer

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
