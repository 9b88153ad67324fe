"""Reads of polls that cost the same whatever the number of ballots.

Tallies come from the shard counters (participation.models.polls): a page sums a few
rows per choice, never the ballots themselves. `counted_from_ballots` does scan the
ballots; it is for checks and repairs (tests, benchmarks, `recount_tallies`), never for
a page.
"""

import copy
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Prefetch
from django.utils import timezone

from cms import queries as cms_queries
from participation import permissions
from participation.models import (
    Ballot,
    Choice,
    ChoiceTally,
    Poll,
    PollTally,
    Question,
    Selection,
)


@dataclass(frozen=True)
class Results:
    participants: int = 0
    counts: dict = field(default_factory=dict)  # choice id → number of ballots

    def count(self, choice_id) -> int:
        return self.counts.get(choice_id, 0)


def results(polls) -> dict:
    """{poll id: Results} for these polls, in one query: the sums of their counter
    shards (participants per poll, ballots per choice), whatever the number of ballots.

    Plain SQL: it runs after every ballot (for the live event) and the ORM spent five
    times longer building this union than PostgreSQL took to answer it.
    """
    ids = [poll.pk for poll in polls]
    if not ids:
        return {}
    quote = connection.ops.quote_name
    marks = ", ".join(["%s"] * len(ids))
    poll_tally, choice_tally = quote(PollTally._meta.db_table), quote(ChoiceTally._meta.db_table)
    choice, question = quote(Choice._meta.db_table), quote(Question._meta.db_table)
    count = quote("count")
    # Only quoted model table names and %s placeholders go into the string.
    sql = (
        f"SELECT poll_id, NULL, SUM({count}) FROM {poll_tally} "  # noqa: S608
        f"WHERE poll_id IN ({marks}) GROUP BY poll_id "
        "UNION ALL "
        f"SELECT q.poll_id, t.choice_id, SUM(t.{count}) FROM {choice_tally} t "
        f"JOIN {choice} c ON c.id = t.choice_id JOIN {question} q ON q.id = c.question_id "
        f"WHERE q.poll_id IN ({marks}) GROUP BY q.poll_id, t.choice_id"
    )
    totals = dict.fromkeys(ids, 0)
    counts = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ids, *ids])
        for poll_id, choice_id, total in cursor.fetchall():
            if choice_id is None:
                totals[poll_id] = int(total)
            else:
                counts[poll_id][choice_id] = int(total)
    return {pk: Results(participants=totals[pk], counts=dict(counts[pk])) for pk in ids}


def counted_from_ballots(poll) -> Results:
    """The tallies recounted from the ballots themselves: a scan, for checks only."""
    participants = Ballot.objects.filter(poll=poll).count()
    counts = dict(
        Selection.objects.filter(ballot__poll=poll)
        .values("choice_id")
        .annotate(total=Count("id"))
        .values_list("choice_id", "total")
    )
    return Results(participants=participants, counts=counts)


def structure():
    """Questions in order, with their choices in order: two queries for any number of polls."""
    return Prefetch(
        "questions",
        queryset=Question.objects.order_by("sort_order", "pk").prefetch_related(
            Prefetch("choices", queryset=Choice.objects.order_by("sort_order", "pk"))
        ),
    )


@dataclass
class ChoiceLine:
    choice: Choice
    count: int
    percent: float
    mine: bool


@dataclass
class QuestionResults:
    question: Question
    lines: list


@dataclass
class PollBlock:
    """Everything the poll part of a consultation page shows about one poll to one person."""

    poll: Poll
    questions: list
    results: Results
    ballot: Ballot | None
    selected: set  # choice ids on this person's ballot
    texts: dict  # question id → this person's free-text answer
    vote_reason: str | None  # why this person cannot vote now, if they cannot
    change_reason: str | None
    results_visible: bool
    form: object = None
    verified_participants: int | None = None  # polls reserved to verified identities

    @property
    def has_voted(self) -> bool:
        return self.ballot is not None

    @property
    def can_vote(self) -> bool:
        return self.vote_reason is None and (not self.has_voted or self.change_reason is None)

    @property
    def choice_questions(self) -> list:
        return [question for question in self.questions if not question.is_text]

    @property
    def has_text_questions(self) -> bool:
        return any(question.is_text for question in self.questions)

    def question_results(self) -> list:
        """Per choice question, each choice's count and its share of the participants
        (for a multiple choice, shares add up to more than 100 %)."""
        participants = self.results.participants
        blocks = []
        for question in self.choice_questions:
            lines = []
            for choice in question.choices.all():
                count = self.results.count(choice.pk)
                percent = round(100 * count / participants, 1) if participants else 0.0
                lines.append(ChoiceLine(choice, count, percent, choice.pk in self.selected))
            blocks.append(QuestionResults(question, lines))
        return blocks


def blocks_for(polls, user, now=None) -> list:
    """PollBlocks for already-fetched polls (with `structure()` prefetched): at most four
    queries whatever the number of ballots — tallies (1) and this person's ballots (3)."""
    polls = list(polls)
    if not polls:
        return []
    now = now or timezone.now()
    tallies = results(polls)
    ballots = {}
    if user.is_authenticated:
        ballots = {
            ballot.poll_id: ballot
            for ballot in Ballot.objects.filter(poll__in=polls, voter=user).prefetch_related(
                "selections", "text_answers"
            )
        }
    # One indexed count per poll reserved to verified identities (a partial index on
    # the verified ballots), none for the others.
    verified = (
        {
            row["poll"]: row["total"]
            for row in Ballot.objects.filter(
                poll__in=[poll for poll in polls if poll.verified_only], verified=True
            )
            .values("poll")
            .annotate(total=Count("id"))
        }
        if any(poll.verified_only for poll in polls)
        else {}
    )
    blocks = []
    for poll in polls:
        ballot = ballots.get(poll.pk)
        vote_reason = permissions.reason(user, permissions.VOTE, poll)
        blocks.append(
            PollBlock(
                poll=poll,
                questions=list(poll.questions.all()),
                results=tallies[poll.pk],
                ballot=ballot,
                selected={s.choice_id for s in ballot.selections.all()} if ballot else set(),
                texts={t.question_id: t.text for t in ballot.text_answers.all()} if ballot else {},
                vote_reason=vote_reason,
                change_reason=(
                    permissions.reason(user, permissions.CHANGE_BALLOT, poll) if ballot else None
                ),
                results_visible=poll.results_visible_to(ballot is not None, now),
                verified_participants=verified.get(poll.pk, 0) if poll.verified_only else None,
            )
        )
    return blocks


def published_polls(consultation, request=None):
    """The consultation's polls shown on its page, structure included: three queries,
    remembered with the published pages until a poll, question or choice changes."""
    if consultation.pk is None:  # the admin's preview of a page not saved yet
        return []
    structures = cms_queries.remembered(
        request,
        ("polls", consultation.pk),
        lambda: list(
            Poll.objects.published().filter(consultation=consultation).prefetch_related(structure())
        ),
    )
    polls = [copy.copy(poll) for poll in structures]  # each request sets its own below
    for poll in polls:
        poll.consultation = consultation  # status reads the consultation's dates
    return polls


def poll_for_vote(poll_id):
    """A published poll on a live consultation, with its structure, or None."""
    return (
        Poll.objects.published()
        .filter(pk=poll_id, consultation__live=True)
        .select_related("consultation")
        .prefetch_related(structure())
        .first()
    )
