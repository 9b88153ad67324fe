"""Many voters at the same instant, on real connections: one per thread.

In CI this runs on PostgreSQL (READ COMMITTED, row locks, the unique constraint deciding
races) as well as on SQLite (writers serialised by BEGIN IMMEDIATE).
"""

import threading
from collections import Counter

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, connections

from participation.models import Ballot
from participation.queries import polls as poll_queries
from participation.services import polls as poll_services
from tests import factories

# Threads see only committed data, hence a transactional test. Its teardown empties
# every table, migration data included; serialized_rollback brings that data back
# before each test here, and _restore_database after the last one, so the tests that
# follow (the browser tests load the demo) find the database as migrations left it.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

THREADS = 16


def run_at_once(work, count):
    """Run work(i) in `count` threads released together; returns {i: result or exception}."""
    barrier = threading.Barrier(count)
    outcomes = {}

    def target(i):
        try:
            barrier.wait(timeout=30)
            outcomes[i] = work(i)
        except Exception as error:  # reported to the test, not lost in the thread
            outcomes[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


@pytest.fixture(scope="module", autouse=True)
def _restore_database(django_db_setup, django_db_blocker):
    yield
    with django_db_blocker.unblock():
        connection.creation.deserialize_db_from_string(connection._test_serialized_contents)


@pytest.fixture
def poll(consultation_index):
    consultation = factories.consultation(consultation_index, title="Plan vélo")
    return factories.poll(consultation)


def ballot(poll, single, multiple):
    first, second, _third = poll.questions.all()
    return {
        first.pk: factories.choice_ids(poll, 0)[single],
        second.pk: [factories.choice_ids(poll, 1)[i] for i in multiple],
    }


def test_many_voters_at_once_leave_exact_tallies(users, poll):
    voters = [factories.UserFactory() for _ in range(THREADS)]
    first_choice = {i: (i % 3, (i % 3, (i + 1) % 3)) for i in range(THREADS)}
    changed_choice = {i: ((i + 1) % 3, ((i + 2) % 3,)) for i in range(THREADS)}

    def vote_then_change(i):
        fresh = poll_queries.poll_for_vote(poll.pk)
        poll_services.cast_ballot(
            voter=voters[i], poll=fresh, answers=ballot(fresh, *first_choice[i])
        )
        # Half the voters change their mind while the others are still voting.
        if i % 2:
            poll_services.cast_ballot(
                voter=voters[i], poll=fresh, answers=ballot(fresh, *changed_choice[i])
            )
        return connection.vendor

    outcomes = run_at_once(vote_then_change, THREADS)
    assert all(isinstance(result, str) for result in outcomes.values()), outcomes

    expected = Counter()
    for i in range(THREADS):
        single, multiple = changed_choice[i] if i % 2 else first_choice[i]
        expected[factories.choice_ids(poll, 0)[single]] += 1
        for index in multiple:
            expected[factories.choice_ids(poll, 1)[index]] += 1
    shown = poll_queries.results([poll])[poll.pk]
    assert shown.participants == THREADS
    assert {k: v for k, v in shown.counts.items() if v} == dict(expected)
    assert poll_queries.counted_from_ballots(poll).counts == dict(expected)


def test_one_person_voting_twice_at_the_same_instant_keeps_one_ballot(users, poll):
    voter = users["citizen"]

    def vote(i):
        fresh = poll_queries.poll_for_vote(poll.pk)
        return poll_services.cast_ballot(
            voter=voter, poll=fresh, answers=ballot(fresh, i % 3, (0,))
        )

    outcomes = run_at_once(vote, 8)
    assert all(not isinstance(result, Exception) for result in outcomes.values()), outcomes
    assert sum(1 for outcome in outcomes.values() if outcome.created) == 1
    assert Ballot.objects.filter(poll=poll, voter=voter).count() == 1
    shown = poll_queries.results([poll])[poll.pk]
    assert shown.participants == 1
    assert sum(shown.count(c) for c in factories.choice_ids(poll, 0)) == 1
    assert {k: v for k, v in shown.counts.items() if v} == poll_queries.counted_from_ballots(
        poll
    ).counts


def test_same_instant_ballots_on_a_poll_without_changes_get_a_clear_refusal(
    users, consultation_index
):
    consultation = factories.consultation(consultation_index, title="Sans retour")
    poll = factories.poll(consultation, allow_change=False)
    voter = users["citizen"]

    def vote(i):
        fresh = poll_queries.poll_for_vote(poll.pk)
        return poll_services.cast_ballot(
            voter=voter, poll=fresh, answers=ballot(fresh, i % 2, (0,))
        )

    outcomes = run_at_once(vote, 6)
    refusals = [r for r in outcomes.values() if isinstance(r, PermissionDenied)]
    others = [r for r in outcomes.values() if not isinstance(r, PermissionDenied)]
    assert all(not isinstance(r, Exception) for r in others), outcomes
    assert sum(1 for outcome in others if outcome.created) == 1
    for refusal in refusals:
        assert "Vous avez déjà voté à ce sondage" in str(refusal)
    assert Ballot.objects.filter(poll=poll).count() == 1
    assert poll_queries.results([poll])[poll.pk].participants == 1
