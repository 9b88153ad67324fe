"""Casting and changing ballots through the one service, and every bad ballot a person can send."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from participation import events, permissions, ratelimits
from participation.models import Ballot, ChoiceTally, PollTally, Selection, TextAnswer
from participation.queries import polls as poll_queries
from participation.services import polls as poll_services
from tests import factories


@pytest.fixture
def poll(consultation):
    return factories.poll(consultation)


def answers(poll, single=0, multiple=(0,), text=""):
    """Answers by position: the n-th choice of the single and multiple questions."""
    first, second, third = poll.questions.all()
    return {
        first.pk: factories.choice_ids(poll, 0)[single],
        second.pk: [factories.choice_ids(poll, 1)[i] for i in multiple],
        third.pk: text,
    }


def tallies(poll):
    """What the page shows (counters) — and a check that it is what the ballots say."""
    shown = poll_queries.results([poll])[poll.pk]
    counted = poll_queries.counted_from_ballots(poll)
    assert shown.participants == counted.participants
    assert {k: v for k, v in shown.counts.items() if v} == counted.counts
    return shown


def test_citizen_casts_a_ballot_and_the_tallies_follow(users, poll):
    outcome = poll_services.cast_ballot(
        voter=users["citizen"], poll=poll, answers=answers(poll, 1, (0, 2), "  Plus d'arceaux  ")
    )
    assert outcome.created and outcome.changed
    single, multiple = factories.choice_ids(poll, 0), factories.choice_ids(poll, 1)
    shown = tallies(poll)
    assert shown.participants == 1
    assert shown.counts == {single[1]: 1, multiple[0]: 1, multiple[2]: 1}
    assert TextAnswer.objects.get(ballot=outcome.ballot).text == "Plus d'arceaux"


def test_changing_a_ballot_moves_the_votes_and_keeps_one_participant(users, poll):
    voter = users["citizen"]
    poll_services.cast_ballot(voter=voter, poll=poll, answers=answers(poll, 0, (0, 1), "Un avis"))
    poll_services.cast_ballot(voter=users["agent"], poll=poll, answers=answers(poll, 0, (1,)))
    outcome = poll_services.cast_ballot(voter=voter, poll=poll, answers=answers(poll, 2, (2,)))
    assert not outcome.created and outcome.changed
    single, multiple = factories.choice_ids(poll, 0), factories.choice_ids(poll, 1)
    shown = tallies(poll)
    assert shown.participants == 2
    assert shown.count(single[0]) == 1
    assert shown.count(single[2]) == 1
    assert shown.count(multiple[0]) == 0
    assert shown.count(multiple[1]) == 1
    assert shown.count(multiple[2]) == 1
    # Leaving the free text empty withdraws it.
    assert not TextAnswer.objects.filter(ballot=outcome.ballot).exists()
    assert Ballot.objects.filter(poll=poll).count() == 2


def test_a_double_submission_keeps_one_ballot(users, poll):
    voter = users["citizen"]
    first = poll_services.cast_ballot(voter=voter, poll=poll, answers=answers(poll))
    again = poll_services.cast_ballot(voter=voter, poll=poll, answers=answers(poll))
    assert again.ballot.pk == first.ballot.pk
    assert not again.created and not again.changed
    assert tallies(poll).participants == 1


def test_a_double_submission_is_accepted_even_when_changes_are_not(users, consultation):
    poll = factories.poll(consultation, allow_change=False)
    voter = users["citizen"]
    poll_services.cast_ballot(voter=voter, poll=poll, answers=answers(poll))
    again = poll_services.cast_ballot(voter=voter, poll=poll, answers=answers(poll))
    assert not again.changed


def test_changing_is_refused_when_the_poll_does_not_allow_it(users, consultation):
    poll = factories.poll(consultation, allow_change=False)
    voter = users["citizen"]
    poll_services.cast_ballot(voter=voter, poll=poll, answers=answers(poll, 0))
    with pytest.raises(PermissionDenied, match="ne permet pas de modifier"):
        poll_services.cast_ballot(voter=voter, poll=poll, answers=answers(poll, 1))
    assert tallies(poll).count(factories.choice_ids(poll, 0)[0]) == 1
    assert tallies(poll).count(factories.choice_ids(poll, 0)[1]) == 0


def refused(poll, voter, given) -> dict:
    """The French messages per field of a refused ballot; checks nothing was written."""
    with pytest.raises(ValidationError) as error:
        poll_services.cast_ballot(voter=voter, poll=poll, answers=given)
    assert not Ballot.objects.filter(poll=poll).exists()
    assert not Selection.objects.exists()
    assert not PollTally.objects.filter(poll=poll, count__gt=0).exists()
    return error.value.message_dict


def test_unknown_choice_is_refused(users, poll):
    given = answers(poll)
    first = poll.questions.all()[0]
    given[first.pk] = 999_999
    errors = refused(poll, users["citizen"], given)
    assert errors[first.field_name] == [
        "Ce choix ne fait pas partie de cette question : rechargez la page et choisissez de "
        "nouveau."
    ]


def test_a_choice_of_another_question_is_refused(users, poll):
    given = answers(poll)
    first = poll.questions.all()[0]
    given[first.pk] = factories.choice_ids(poll, 1)[0]
    errors = refused(poll, users["citizen"], given)
    assert errors[first.field_name] == ["Ce choix appartient à une autre question."]


def test_a_choice_of_another_poll_is_refused(users, consultation, poll):
    other = factories.poll(consultation, title="Autre sondage")
    given = answers(poll)
    second = poll.questions.all()[1]
    given[second.pk] = [factories.choice_ids(other, 1)[0]]
    errors = refused(poll, users["citizen"], given)
    assert "ne fait pas partie de cette question" in errors[second.field_name][0]


def test_more_choices_than_the_maximum_are_refused(users, poll):
    second = poll.questions.all()[1]
    errors = refused(poll, users["citizen"], answers(poll, 0, (0, 1, 2)))
    assert errors[second.field_name] == [
        "Vous pouvez choisir 2 réponses au plus : vous en avez coché 3."
    ]


def test_two_answers_to_a_single_choice_question_are_refused(users, poll):
    given = answers(poll)
    first = poll.questions.all()[0]
    given[first.pk] = factories.choice_ids(poll, 0)[:2]
    errors = refused(poll, users["citizen"], given)
    assert errors[first.field_name] == ["Une seule réponse est possible à cette question."]


def test_unanswered_choice_questions_are_refused(users, poll):
    first, second, _third = poll.questions.all()
    errors = refused(poll, users["citizen"], {first.pk: None, second.pk: []})
    assert errors[first.field_name] == ["Choisissez une réponse."]
    assert errors[second.field_name] == ["Choisissez au moins une réponse."]


def test_oversize_free_text_is_refused(users, poll, settings):
    settings.TRIBUNE_POLL_TEXT_MAX_LENGTH = 50
    third = poll.questions.all()[2]
    errors = refused(poll, users["citizen"], answers(poll, text="x" * 51))
    assert errors[third.field_name] == ["Votre réponse fait 51 caractères : 50 au plus."]


def test_an_answer_to_a_question_of_another_poll_is_refused(users, consultation, poll):
    other = factories.poll(consultation, title="Autre sondage")
    given = answers(poll)
    given[other.questions.all()[0].pk] = factories.choice_ids(other, 0)[0]
    errors = refused(poll, users["citizen"], given)
    assert "ne correspondent à aucune question" in errors["__all__"][0]


def test_a_closed_poll_refuses_ballots(users, consultation):
    poll = factories.poll(consultation, closes_at=timezone.now() + timedelta(days=1))
    poll.closes_at = timezone.now() - timedelta(minutes=1)
    poll.save()
    with pytest.raises(PermissionDenied, match="Ce sondage est clos depuis le"):
        poll_services.cast_ballot(voter=users["citizen"], poll=poll, answers=answers(poll))
    assert not Ballot.objects.exists()


def test_a_poll_closes_with_its_consultation_by_default(users, consultation_index):
    closed = factories.consultation(consultation_index, title="Finie", opens_in=-30, closes_in=-1)
    poll = factories.poll(closed)
    assert poll.effective_closes_at == closed.closes_at
    assert poll.is_closed
    with pytest.raises(PermissionDenied, match="Ce sondage est clos"):
        poll_services.cast_ballot(voter=users["citizen"], poll=poll, answers=answers(poll))


def test_an_unpublished_poll_refuses_ballots(users, consultation):
    poll = factories.poll(consultation, published=False)
    with pytest.raises(PermissionDenied, match="Ce sondage n’est pas ouvert"):
        poll_services.cast_ballot(voter=users["citizen"], poll=poll, answers=answers(poll))


def test_a_poll_cannot_close_after_its_consultation(consultation):
    poll = factories.poll(consultation)
    poll.closes_at = consultation.closes_at + timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        poll.full_clean()
    assert "Le sondage ne peut pas se clore après sa consultation" in str(error.value)
    poll.closes_at = consultation.opens_at - timedelta(days=1)
    with pytest.raises(ValidationError):
        poll.full_clean()
    poll.closes_at = consultation.closes_at - timedelta(days=1)
    poll.full_clean()


def test_votes_are_rate_limited_per_person(users, poll, settings):
    settings.TRIBUNE_VOTE_RATE_LIMIT = 2
    voter = users["citizen"]
    poll_services.cast_ballot(voter=voter, poll=poll, answers=answers(poll, 0))
    poll_services.cast_ballot(voter=voter, poll=poll, answers=answers(poll, 1))
    with pytest.raises(ratelimits.RateLimited, match="un peu vite"):
        poll_services.cast_ballot(voter=voter, poll=poll, answers=answers(poll, 2))
    assert tallies(poll).count(factories.choice_ids(poll, 0)[1]) == 1
    # Someone else is not slowed down by it.
    poll_services.cast_ballot(voter=users["agent"], poll=poll, answers=answers(poll, 2))


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("anonymous", False),
        ("unverified", False),
        ("citizen", True),
        ("agent", True),
        ("moderator", True),
        ("communication", True),
        ("administrator", True),
    ],
)
def test_vote_permission_matrix(users, poll, role, allowed):
    assert permissions.can(users[role], permissions.VOTE, poll) is allowed
    if allowed:
        poll_services.cast_ballot(voter=users[role], poll=poll, answers=answers(poll))
        assert Ballot.objects.filter(poll=poll, voter=users[role]).exists()
    else:
        with pytest.raises(PermissionDenied):
            poll_services.cast_ballot(voter=users[role], poll=poll, answers=answers(poll))
        assert not Ballot.objects.exists()


@pytest.mark.parametrize(
    "role",
    ["anonymous", "unverified", "citizen", "agent", "moderator", "communication", "administrator"],
)
def test_nobody_votes_in_a_closed_poll(users, consultation_index, role):
    closed = factories.consultation(consultation_index, title="Finie", opens_in=-30, closes_in=-1)
    poll = factories.poll(closed)
    assert permissions.reason(users[role], permissions.VOTE, poll).startswith(
        "Ce sondage est clos depuis le"
    )


def test_the_database_refuses_a_second_ballot_of_the_same_person(users, poll):
    Ballot.objects.create(poll=poll, voter=users["citizen"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Ballot.objects.create(poll=poll, voter=users["citizen"])


def test_an_erased_account_leaves_its_ballot_in_the_tallies(users, poll):
    """GDPR: the ballot is unlinked, not deleted; the one-ballot rule still
    holds for linked ballots and never blocks unlinked ones."""
    for role in ("citizen", "agent"):
        poll_services.cast_ballot(voter=users[role], poll=poll, answers=answers(poll, 1))
    users["citizen"].delete()
    users["agent"].delete()
    assert Ballot.objects.filter(poll=poll, voter__isnull=True).count() == 2
    shown = tallies(poll)
    assert shown.participants == 2
    assert shown.count(factories.choice_ids(poll, 0)[1]) == 2


def test_results_changed_event_carries_only_what_the_page_shows(
    users, consultation, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(events, "publish", sent.append)
    after_voting = factories.poll(consultation, title="Après le vote")
    always = factories.poll(consultation, title="Toujours", results_visibility="always")
    with django_capture_on_commit_callbacks(execute=True):
        poll_services.cast_ballot(
            voter=users["citizen"],
            poll=after_voting,
            answers=answers(after_voting, 2, (0,), "Secret"),
        )
        poll_services.cast_ballot(
            voter=users["citizen"], poll=always, answers=answers(always, 2, (0,), "Secret")
        )
    hidden, shown = sent
    assert hidden.type == "poll.results"
    assert hidden.consultation_id == consultation.pk
    assert hidden.data == {"poll": after_voting.pk, "participants": 1}
    assert shown.data["participants"] == 1
    assert shown.data["choices"][str(factories.choice_ids(always, 0)[2])] == 1
    text = repr([event.data for event in sent])
    assert "Secret" not in text
    assert set(shown.data) == {"poll", "participants", "choices"}  # nobody's identity


def test_nothing_is_published_for_a_refused_or_unchanged_ballot(
    users, poll, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(events, "publish", sent.append)
    with django_capture_on_commit_callbacks(execute=True):
        poll_services.cast_ballot(voter=users["citizen"], poll=poll, answers=answers(poll))
        poll_services.cast_ballot(voter=users["citizen"], poll=poll, answers=answers(poll))
        with pytest.raises(ValidationError):
            poll_services.cast_ballot(voter=users["agent"], poll=poll, answers={})
    assert len(sent) == 1


def test_recount_rebuilds_damaged_counters(users, poll):
    for role in ("citizen", "agent", "moderator"):
        poll_services.cast_ballot(voter=users[role], poll=poll, answers=answers(poll, 0, (1,)))
    ChoiceTally.objects.update(count=42)
    PollTally.objects.update(count=7)
    poll_services.recount_tallies(poll)
    shown = tallies(poll)
    assert shown.participants == 3
    assert shown.count(factories.choice_ids(poll, 0)[0]) == 3


def test_imported_ballots_are_validated_and_counted(users, poll):
    added = poll_services.import_ballots(
        poll,
        [
            (users["citizen"], answers(poll, 0)),
            (None, answers(poll, 1, (0, 1), "Papier")),
            (users["citizen"], answers(poll, 2)),  # the same person twice: skipped
        ],
    )
    assert added == 2
    shown = tallies(poll)
    assert shown.participants == 2
    with pytest.raises(ValidationError):
        poll_services.import_ballots(poll, [(users["agent"], {})])
    assert tallies(poll).participants == 2


def test_counters_are_spread_over_shards(users, poll, settings):
    settings.TRIBUNE_POLL_TALLY_SHARDS = 4
    for role in ("citizen", "agent", "moderator", "communication", "administrator"):
        poll_services.cast_ballot(voter=users[role], poll=poll, answers=answers(poll, 0))
    shards = set(PollTally.objects.filter(poll=poll).values_list("shard", flat=True))
    assert shards <= {0, 1, 2, 3}
    assert tallies(poll).participants == 5


def test_recount_command_checks_and_repairs(users, poll, capsys):
    from django.core.management import CommandError, call_command

    poll_services.cast_ballot(voter=users["citizen"], poll=poll, answers=answers(poll))
    call_command("recount_polls", "--check")
    assert "1 bulletin, exact" in capsys.readouterr().out
    PollTally.objects.update(count=9)
    with pytest.raises(CommandError, match="1 sondage"):
        call_command("recount_polls", "--check")
    call_command("recount_polls", str(poll.pk))
    assert "recompté" in capsys.readouterr().out
    assert tallies(poll).participants == 1
    with pytest.raises(CommandError, match="introuvable"):
        call_command("recount_polls", "999999")


def test_a_voted_choice_cannot_be_deleted_alone_but_its_consultation_can(users, poll):
    from django.db.models import RestrictedError

    from participation.models import Choice

    poll_services.cast_ballot(
        voter=users["citizen"], poll=poll, answers=answers(poll, 0, (0,), "Un avis")
    )
    voted = Choice.objects.get(pk=factories.choice_ids(poll, 0)[0])
    with pytest.raises(RestrictedError):
        voted.delete()
    poll.consultation.delete()
    assert not Ballot.objects.exists()
    assert not TextAnswer.objects.exists()
    assert not Choice.objects.exists()
