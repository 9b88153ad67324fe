"""A person's ballots in their data export, and what their account deletion does to
them: unlinked, still counted; free-text answers gone only if they choose to erase."""

import pytest

from consent.registry import Choice
from consent.services.erasure import erase_accounts
from consent.services.exports import collect
from participation.models import Ballot, TextAnswer
from participation.queries import polls as poll_queries
from participation.services import polls as poll_services
from tests import factories


@pytest.fixture
def voted(consultation_index, users):
    consultation = factories.consultation(consultation_index, title="Plan vélo")
    poll = factories.poll(consultation)
    first, second, third = poll.questions.all()
    for voter, single in ((users["citizen"], 0), (users["agent"], 1)):
        poll_services.cast_ballot(
            voter=voter,
            poll=poll,
            answers={
                first.pk: factories.choice_ids(poll, 0)[single],
                second.pk: factories.choice_ids(poll, 1)[:2],
                third.pk: "Plus d’arceaux devant la gare.",
            },
        )
    return poll


def export_rows(user, name):
    return next(rows for entry, _columns, rows in collect(user) if entry.export_name == name)


def test_export_lists_each_answer_of_the_persons_ballots(voted, users):
    rows = list(export_rows(users["citizen"], "votes"))
    answers = {(row["question"], row["answer"]) for row in rows}
    assert answers == {
        ("Comment venez-vous au centre-ville ?", "À vélo"),
        ("Quels aménagements voulez-vous ?", "Des pistes cyclables"),
        ("Quels aménagements voulez-vous ?", "Des arceaux"),
        ("Une remarque ?", "Plus d’arceaux devant la gare."),
    }
    assert {row["poll"] for row in rows} == {"Vos déplacements"}


@pytest.mark.parametrize("choice", [Choice.ANONYMISE, Choice.ERASE])
def test_deleting_the_account_keeps_the_ballot_in_the_tallies(voted, users, choice):
    before = poll_queries.results([voted])[voted.pk]
    erase_accounts([users["citizen"].pk], choice=choice)
    after = poll_queries.results([voted])[voted.pk]
    assert after == before
    assert after.participants == 2
    assert poll_queries.counted_from_ballots(voted) == after
    assert Ballot.objects.filter(poll=voted, voter__isnull=True).count() == 1
    remaining = TextAnswer.objects.count()
    assert remaining == (1 if choice == Choice.ERASE else 2)
    assert TextAnswer.objects.filter(ballot__voter=users["agent"]).exists()
