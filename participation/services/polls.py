"""Every write of polls: casting or changing a ballot, recounting, importing ballots.

Tallies are shard counters updated in the same transaction as the ballot (see
participation.models.polls). Rows are always locked in the same order — the ballot, the
poll's shard, then the choices' shards by increasing id — so concurrent voters queue
on a shard but never deadlock.
"""

import logging
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import identity
from participation import events, permissions, ratelimits
from participation.models import (
    Ballot,
    ChoiceTally,
    Poll,
    PollTally,
    Selection,
    TextAnswer,
)
from participation.queries import polls as poll_queries
from participation.services import notifications

logger = logging.getLogger(__name__)

# A first ballot racing another request of the same person loses on the unique
# constraint and is retried as a change; a deadlock or serialisation failure is retried
# too. Three attempts cover both.
ATTEMPTS = 3


@dataclass(frozen=True)
class Answers:
    """Validated answers: choice ids per choice question, text per free-text question."""

    choices: dict = field(default_factory=dict)  # question id → frozenset of choice ids
    texts: dict = field(default_factory=dict)  # question id → text ("" when left empty)

    def choice_ids(self) -> dict:
        """{choice id: question id} of every ticked choice."""
        return {
            choice_id: question_id for question_id, ids in self.choices.items() for choice_id in ids
        }


@dataclass(frozen=True)
class Outcome:
    ballot: Ballot
    created: bool
    changed: bool


def _as_ids(value) -> list:
    """Choice ids from what a form or a caller sent: one id, or a list of ids."""
    if value is None or value == "":
        return []
    values = value if isinstance(value, list | tuple | set | frozenset) else [value]
    ids = []
    for item in values:
        try:
            ids.append(int(item))
        except (TypeError, ValueError):
            ids.append(None)  # reported as an unknown choice
    return ids


def clean_text(value) -> str:
    text = "" if value is None else str(value)
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def too_many_choices(maximum: int, count: int) -> str:
    return ngettext(
        "You may choose at most %(max)s answer: you ticked %(count)s.",
        "You may choose at most %(max)s answers: you ticked %(count)s.",
        maximum,
    ) % {"max": maximum, "count": count}


def clean_answers(poll, answers: dict) -> Answers:
    """Check answers against the poll's questions; raise ValidationError keyed by each
    question's field name ("q12") with a French message per problem."""
    questions = list(poll.questions.all())
    by_id = {question.pk: question for question in questions}
    choice_owner = {
        choice.pk: question.pk for question in questions for choice in question.choices.all()
    }
    errors = {}
    unknown = [key for key in answers if _question_id(key) not in by_id]
    if unknown:
        errors[NON_FIELD_ERRORS] = [
            _("Some answers do not match any question of this poll: reload the page.")
        ]
    choices, texts = {}, {}
    max_length = settings.TRIBUNE_POLL_TEXT_MAX_LENGTH
    for question in questions:
        raw = answers.get(question.pk, answers.get(str(question.pk)))
        if question.is_text:
            text = clean_text(raw)
            if len(text) > max_length:
                errors[question.field_name] = [
                    _("Your answer is %(length)s characters long: %(max)s at most.")
                    % {"length": len(text), "max": max_length}
                ]
            texts[question.pk] = text
            continue
        ids = list(dict.fromkeys(_as_ids(raw)))
        problems = []
        if not ids:
            problems.append(
                _("Choose at least one answer.") if question.is_multiple else _("Choose an answer.")
            )
        elif any(choice_owner.get(i) is None for i in ids):
            problems.append(
                _("This choice is not one of this question’s: reload the page and choose again.")
            )
        elif any(choice_owner[i] != question.pk for i in ids):
            problems.append(_("This choice belongs to another question."))
        elif not question.is_multiple and len(ids) > 1:
            problems.append(_("Only one answer is possible for this question."))
        elif question.is_multiple and question.max_choices and len(ids) > question.max_choices:
            problems.append(too_many_choices(question.max_choices, len(ids)))
        if problems:
            errors[question.field_name] = problems
        choices[question.pk] = frozenset(ids)
    if errors:
        raise ValidationError(errors)
    return Answers(choices=choices, texts=texts)


def _question_id(key):
    try:
        return int(key)
    except (TypeError, ValueError):
        return None


def _add_to_counters(model, key_fields, rows) -> None:
    """Add deltas to counter shards in one statement, creating missing rows:
    INSERT … ON CONFLICT DO UPDATE (PostgreSQL, and SQLite since 3.24).

    `rows` are (key values…, delta) tuples. PostgreSQL takes the row locks in the order
    of the VALUES list, so sorting the rows gives every writer the same lock order: no
    deadlock, and one round trip instead of one per choice.
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    keys = [quote(model._meta.get_field(name).column) for name in key_fields]
    columns = ", ".join([*keys, quote("count")])
    values = ", ".join(["(" + ", ".join(["%s"] * (len(keys) + 1)) + ")"] * len(rows))
    # Only quoted model table and column names and %s placeholders go into the string.
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES {values} "  # noqa: S608
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE "
        f"SET {quote('count')} = {table}.{quote('count')} + EXCLUDED.{quote('count')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for row in sorted(rows) for value in row])


def _shards() -> int:
    return max(1, settings.TRIBUNE_POLL_TALLY_SHARDS)


def _write(voter, poll, answers: Answers) -> Outcome:
    ballot = Ballot.objects.select_for_update().filter(poll=poll, voter=voter).first()
    created = ballot is None
    before_choices, before_texts = {}, {}
    if created:
        ballot = Ballot.objects.create(
            poll=poll,
            voter=voter,
            shard=secrets.randbelow(_shards()),
            verified=identity.is_verified(voter),
        )
    else:
        before_choices = dict(ballot.selections.values_list("choice_id", "question_id"))
        before_texts = {answer.question_id: answer for answer in ballot.text_answers.all()}
        same_texts = all(
            (before_texts[qid].text if qid in before_texts else "") == text
            for qid, text in answers.texts.items()
        )
        if set(before_choices) == set(answers.choice_ids()) and same_texts:
            # A double submission, or a change to nothing: the ballot stays as it is.
            return Outcome(ballot=ballot, created=False, changed=False)
        permissions.require(voter, permissions.CHANGE_BALLOT, poll)

    after_choices = answers.choice_ids()
    added = set(after_choices) - set(before_choices)
    removed = set(before_choices) - set(after_choices)
    if removed:
        Selection.objects.filter(ballot=ballot, choice_id__in=removed).delete()
    if added:
        Selection.objects.bulk_create(
            Selection(ballot=ballot, question_id=after_choices[choice_id], choice_id=choice_id)
            for choice_id in sorted(added)
        )
    for question_id, text in answers.texts.items():
        existing = before_texts.get(question_id)
        if existing and not text:
            existing.delete()
        elif existing and existing.text != text:
            existing.text = text
            existing.save(update_fields=["text", "updated_at"])
        elif not existing and text:
            TextAnswer.objects.create(ballot=ballot, question_id=question_id, text=text)

    if created:
        _add_to_counters(PollTally, ["poll", "shard"], [(poll.pk, ballot.shard, 1)])
    else:
        ballot.save(update_fields=["updated_at"])
    _add_to_counters(
        ChoiceTally,
        ["choice", "shard"],
        [
            (choice_id, ballot.shard, 1 if choice_id in added else -1)
            for choice_id in added | removed
        ],
    )
    return Outcome(ballot=ballot, created=created, changed=True)


def cast_ballot(*, voter, poll: Poll, answers: dict) -> Outcome:
    """Record a person's ballot, or change it when the poll allows.

    `answers` maps question ids to a choice id, a list of choice ids, or a text. The
    same person submitting twice at once ends with one ballot: the loser of the race
    on the unique constraint retries and finds the winner's ballot.
    """
    permissions.require(voter, permissions.VOTE, poll)
    cleaned = clean_answers(poll, answers)
    ratelimits.hit(voter, "vote", limit=settings.TRIBUNE_VOTE_RATE_LIMIT, period=60)
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with transaction.atomic():
                outcome = _write(voter, poll, cleaned)
                if outcome.created:
                    notifications.follow_automatically(voter, poll.consultation)
                # A changed ballot changes nothing public unless the tallies are shown
                # to everyone; a new one changes the number of participants.
                if outcome.created or (
                    outcome.changed and poll.results_visible_to(has_voted=False)
                ):
                    transaction.on_commit(lambda: publish_results(poll), robust=True)
            break
        except (IntegrityError, OperationalError) as error:
            if attempt == ATTEMPTS:
                raise
            logger.info(
                "ballot on poll %s collided with a concurrent write (%s), attempt %s",
                poll.pk,
                type(error).__name__,
                attempt,
            )
    logger.info(
        "ballot %s on poll %s %s",
        outcome.ballot.pk,
        poll.pk,
        "cast" if outcome.created else ("changed" if outcome.changed else "unchanged"),
    )
    return outcome


def publish_results(poll) -> None:
    events.publish(events.poll_results_changed(poll, poll_queries.results([poll])[poll.pk]))


@transaction.atomic
def recount_tallies(poll) -> poll_queries.Results:
    """Rebuild a poll's shard counters from its ballots (after an import, or to repair).

    Locks the existing counter rows first: a voter committing meanwhile either is
    counted here or adds its +1 after this recount, never both.
    """
    list(PollTally.objects.select_for_update().filter(poll=poll).order_by("pk"))
    list(ChoiceTally.objects.select_for_update().filter(choice__question__poll=poll).order_by("pk"))
    per_shard = dict(
        Ballot.objects.filter(poll=poll)
        .values("shard")
        .annotate(total=Count("id"))
        .values_list("shard", "total")
    )
    choice_shards = {
        (choice_id, shard): total
        for choice_id, shard, total in Selection.objects.filter(ballot__poll=poll)
        .values("choice_id", "ballot__shard")
        .annotate(total=Count("id"))
        .values_list("choice_id", "ballot__shard", "total")
    }
    PollTally.objects.filter(poll=poll).exclude(shard__in=per_shard).update(count=0)
    for shard, total in per_shard.items():
        _set(PollTally, total, poll_id=poll.pk, shard=shard)
    ChoiceTally.objects.filter(choice__question__poll=poll).update(count=0)
    for (choice_id, shard), total in choice_shards.items():
        _set(ChoiceTally, total, choice_id=choice_id, shard=shard)
    transaction.on_commit(lambda: publish_results(poll), robust=True)
    return poll_queries.counted_from_ballots(poll)


def _set(model, value: int, **key) -> None:
    if not model.objects.filter(**key).update(count=value):
        model.objects.create(count=value, **key)


@transaction.atomic
def import_ballots(poll, entries) -> int:
    """Ballots gathered elsewhere — the demo, a paper vote counted at the town hall —
    as (voter or None, answers) pairs. Answers are validated like any ballot; dates and
    permissions are not, since these votes were cast before. Persons who already have a
    ballot in this poll are skipped. Returns how many ballots were added."""
    poll = Poll.objects.prefetch_related(poll_queries.structure()).get(pk=poll.pk)
    already = set(
        Ballot.objects.filter(poll=poll, voter__isnull=False).values_list("voter_id", flat=True)
    )
    prepared = []
    for voter, answers in entries:
        if voter is not None and voter.pk in already:
            continue
        if voter is not None:
            already.add(voter.pk)
        prepared.append((voter, clean_answers(poll, answers)))
    ballots = Ballot.objects.bulk_create(
        Ballot(poll=poll, voter=voter, shard=secrets.randbelow(_shards()))
        for voter, _answers in prepared
    )
    selections, texts = [], []
    for ballot, (_voter, answers) in zip(ballots, prepared, strict=True):
        for choice_id, question_id in answers.choice_ids().items():
            selections.append(
                Selection(ballot=ballot, question_id=question_id, choice_id=choice_id)
            )
        for question_id, text in answers.texts.items():
            if text:
                texts.append(TextAnswer(ballot=ballot, question_id=question_id, text=text))
    Selection.objects.bulk_create(selections, batch_size=1000)
    TextAnswer.objects.bulk_create(texts, batch_size=1000)
    recount_tallies(poll)
    logger.info("%s ballots imported into poll %s", len(ballots), poll.pk)
    return len(ballots)
