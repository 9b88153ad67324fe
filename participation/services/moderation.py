"""Every moderation write: publish, reject, hide, restore, mark handled, answer
officially, ban, lift a ban, appeal, decide an appeal, crisis switches, alerts seen.

Each action locks the comment (select_for_update), checks its state again under the
lock and refuses with a French message when another moderator decided first: nothing
is ever applied twice. Each one records a Wagtail audit-log entry (who, when, what,
why) in the same transaction, and tells the author on commit.
"""

import logging
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from participation import events, permissions, tasks
from participation.models import (
    Appeal,
    Ban,
    CharterReason,
    Comment,
    ConsultationModeration,
    Decision,
    ModerationAlert,
    ModerationDecision,
    ModerationRules,
    State,
)
from participation.queries.moderation import scoped
from participation.services import comments as comment_services
from participation.services import notifications

logger = logging.getLogger(__name__)

NOTE_MAX_LENGTH = 1000
APPEAL_MAX_LENGTH = 1000
FREEZE_MESSAGE_MAX_LENGTH = 500

# Audit-log actions (registered in wagtail_hooks.py with their French labels).
LOG_PUBLISH = "tribune.moderation.publish"
LOG_REJECT = "tribune.moderation.reject"
LOG_HIDE = "tribune.moderation.hide"
LOG_RESTORE = "tribune.moderation.restore"
LOG_HANDLED = "tribune.moderation.handled"
LOG_BAN = "tribune.moderation.ban"
LOG_LIFT_BAN = "tribune.moderation.lift_ban"
LOG_OFFICIAL_ANSWER = "tribune.moderation.official_answer"
LOG_APPEAL = "tribune.moderation.appeal"
LOG_APPEAL_DECIDED = "tribune.moderation.appeal_decided"
LOG_RULE_WORDS = "tribune.rule.word_filter"
LOG_RULE_LINKS = "tribune.rule.links"
LOG_RULE_REPORTS = "tribune.rule.reports"
LOG_CRISIS_A_PRIORI = "tribune.crisis.a_priori"
LOG_CRISIS_SLOW = "tribune.crisis.slow_mode"
LOG_CRISIS_FREEZE = "tribune.crisis.freeze"


def _lock(comment) -> Comment:
    """The comment as it is now, locked until the end of the transaction."""
    pk = comment.pk if isinstance(comment, Comment) else comment
    current = Comment.objects.select_for_update().filter(pk=pk).first()
    if current is None:
        raise ValidationError(_("This comment no longer exists: nothing was changed."), code="gone")
    return current


def _already(current) -> ValidationError:
    return ValidationError(
        _(
            "This comment has already been handled (it is now « %(state)s »), probably by "
            "another moderator: nothing was changed."
        )
        % {"state": current.get_state_display()},
        code="already_decided",
    )


def _clean_reason(reason, note) -> tuple[str, str]:
    if not reason:
        raise ValidationError(_("Choose a reason from the moderation charter."), code="reason")
    if reason not in CharterReason.values:
        raise ValidationError(_("Choose a reason from the moderation charter."), code="reason")
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError(
            _("The note is %(length)s characters long: %(limit)s at most.")
            % {"length": len(note), "limit": NOTE_MAX_LENGTH},
            code="note_too_long",
        )
    return reason, note


def _decide(moderator, current, action, *, reason="", note="") -> ModerationDecision:
    return ModerationDecision.objects.create(
        comment=current,
        author_id=current.author_id,
        moderator=moderator,
        action=action,
        reason=reason,
        note=note,
    )


def _audit(instance, action, user, **data):
    log(instance=instance, action=action, user=user, data=data)


def _broadcast_state(current, was_published: bool) -> None:
    # Readers see the comment appear, or its placeholder (docs/live-protocol.md).
    found = events.comment_state_changed(current, was_published=was_published)
    found.append(
        events.Event(
            "moderation.decided",
            current.consultation_id,
            {"id": current.pk, "state": current.state},
            audience=events.MODERATORS,
        )
    )
    transaction.on_commit(lambda: events.publish_all(found))


def publish(*, moderator, comment) -> Comment:
    """Publish a comment waiting for moderation (a priori, or held by a rule)."""
    permissions.require(moderator, permissions.MODERATE, comment)
    with transaction.atomic():
        current = _lock(comment)
        if current.state != State.PENDING:
            raise _already(current)
        comment_services.move_to_state(current, State.PUBLISHED)
        Comment.objects.filter(pk=current.pk).update(
            hold_rule="", moderation_reason="", reports_open=False
        )
        _decide(moderator, current, Decision.PUBLISH)
        _audit(current, LOG_PUBLISH, moderator, previous=State.PENDING)
        _broadcast_state(current, was_published=False)
    logger.info("comment %s published by a moderator", current.pk)
    return current


def _remove(moderator, comment, *, target, reason, note) -> Comment:
    permissions.require(moderator, permissions.MODERATE, comment)
    reason, note = _clean_reason(reason, note)
    allowed = (State.PENDING,) if target == State.REJECTED else (State.PUBLISHED, State.PENDING)
    with transaction.atomic():
        current = _lock(comment)
        if current.state not in allowed:
            raise _already(current)
        previous = current.state
        comment_services.move_to_state(current, target)
        Comment.objects.filter(pk=current.pk).update(moderation_reason=reason, reports_open=False)
        current.moderation_reason = reason
        action = Decision.REJECT if target == State.REJECTED else Decision.HIDE
        decision = _decide(moderator, current, action, reason=reason, note=note)
        _audit(
            current,
            LOG_REJECT if target == State.REJECTED else LOG_HIDE,
            moderator,
            reason=reason,
            note=note,
            previous=previous,
        )
        _broadcast_state(current, was_published=previous == State.PUBLISHED)
        notifications.decision_made(decision)
    logger.info("comment %s %s by a moderator (%s)", current.pk, target, reason)
    return current


def reject(*, moderator, comment, reason, note="") -> Comment:
    """Refuse a comment waiting for moderation, with a charter reason."""
    return _remove(moderator, comment, target=State.REJECTED, reason=reason, note=note)


def hide(*, moderator, comment, reason, note="") -> Comment:
    """Take a published (or held) comment off the site, with a charter reason."""
    return _remove(moderator, comment, target=State.HIDDEN, reason=reason, note=note)


def restore(*, moderator, comment) -> Comment:
    """Put a hidden or rejected comment back on the site."""
    permissions.require(moderator, permissions.MODERATE, comment)
    with transaction.atomic():
        current = _lock(comment)
        if current.state not in (State.HIDDEN, State.REJECTED):
            raise _already(current)
        previous = current.state
        comment_services.move_to_state(current, State.PUBLISHED)
        Comment.objects.filter(pk=current.pk).update(moderation_reason="", hold_rule="")
        _decide(moderator, current, Decision.RESTORE)
        _audit(current, LOG_RESTORE, moderator, previous=previous)
        _broadcast_state(current, was_published=False)
    return current


def mark_handled(*, moderator, comment) -> Comment:
    """The reports on a comment were read and need nothing more: out of "Signalés"."""
    permissions.require(moderator, permissions.MODERATE, comment)
    with transaction.atomic():
        current = _lock(comment)
        if not current.reports_open:
            raise ValidationError(
                _("The reports on this comment have already been handled: nothing was changed."),
                code="already_handled",
            )
        Comment.objects.filter(pk=current.pk).update(reports_open=False)
        current.reports_open = False
        _decide(moderator, current, Decision.HANDLED)
        _audit(current, LOG_HANDLED, moderator, reports=current.reports_count)
    return current


def answer_officially(*, moderator, comment, body, key=None) -> Comment:
    """Answer a published comment in the name of the institution, from the moderation
    queue. The answer is an ordinary official reply (comments.post_comment: same badge,
    same counters, same live event); the audit entry goes on the answered comment so
    its history shows who answered."""
    permissions.require(moderator, permissions.ANSWER_OFFICIALLY, comment)
    with transaction.atomic():
        answer = comment_services.post_comment(
            author=moderator,
            consultation=comment.consultation,
            parent=comment,
            body=body,
            official=True,
            key=key,
        )
        # A double click returns the first answer: record it once.
        if not (key and _answer_logged(comment, answer)):
            _audit(comment, LOG_OFFICIAL_ANSWER, moderator, answer=answer.pk)
    logger.info("comment %s answered officially from the moderation queue", comment.pk)
    return answer


def _answer_logged(comment, answer) -> bool:
    from wagtail.models import ModelLogEntry

    return (
        ModelLogEntry.objects.for_instance(comment)
        .filter(action=LOG_OFFICIAL_ANSWER, data__answer=answer.pk)
        .exists()
    )


# Ten years: past that a ban is permanent in all but name, and a date beyond year 9999
# cannot be computed at all.
MAX_BAN_DAYS = 3650


def ban(*, moderator, user, reason, days=None, permanent=False, hide_all=False) -> Ban:
    """Bar a person from commenting, replying, supporting, voting and reporting, for
    `days` or for good; optionally hide every comment of theirs in the same action."""
    permissions.require(moderator, permissions.BAN, user)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why this person is banned."), code="reason")
    if not permanent:
        try:
            days = int(days) if days not in (None, "") else None
        except (TypeError, ValueError):
            days = None
        if not days or days < 1:
            raise ValidationError(
                _("Give the length of the ban in days, or choose a permanent ban."),
                code="duration",
            )
        if days > MAX_BAN_DAYS:
            raise ValidationError(
                _("A ban lasts at most %(days)s days: choose a permanent ban for longer.")
                % {"days": MAX_BAN_DAYS},
                code="duration",
            )
    ends_at = None if permanent else timezone.now() + timedelta(days=days)
    with transaction.atomic():
        # Lock the person's active bans so two moderators cannot ban twice at once.
        existing = list(Ban.objects.select_for_update().active().filter(user=user))
        if existing:
            raise ValidationError(
                _("This person is already banned: nothing was changed."), code="already_banned"
            )
        created = Ban.objects.create(user=user, moderator=moderator, reason=reason, ends_at=ends_at)
        hidden = 0
        if hide_all:
            for current in Comment.objects.select_for_update().filter(
                author=user, state__in=(State.PUBLISHED, State.PENDING)
            ):
                was_published = current.is_published
                comment_services.move_to_state(current, State.HIDDEN)
                _decide(moderator, current, Decision.HIDE, note=reason)
                _broadcast_state(current, was_published=was_published)
                hidden += 1
        _audit(
            created,
            LOG_BAN,
            moderator,
            until=ends_at.isoformat() if ends_at else "",
            permanent=permanent,
            reason=reason,
            hidden=hidden,
        )
        notifications.later(tasks.send_ban_email, created.pk)
    if hasattr(user, "_tribune_ban"):
        del user._tribune_ban
    logger.info("account %s banned (%s comments hidden)", user.pk, hidden)
    return created


def lift_ban(*, moderator, ban) -> Ban:
    """End a ban now: the person may take part again at once."""
    permissions.require(moderator, permissions.BAN, ban.user)
    with transaction.atomic():
        current = Ban.objects.select_for_update().filter(pk=ban.pk).first()
        if current is None:
            raise ValidationError(_("This ban no longer exists: nothing was changed."), code="gone")
        if current.lifted_at is not None:
            raise ValidationError(_("This ban has already been lifted."), code="already_lifted")
        now = timezone.now()
        if not current.is_active(now):
            raise ValidationError(
                _("This ban has already ended: nothing was changed."), code="ended"
            )
        current.lifted_at = now
        current.lifted_by = moderator
        current.save(update_fields=["lifted_at", "lifted_by"])
        _audit(
            current,
            LOG_LIFT_BAN,
            moderator,
            until=current.ends_at.isoformat() if current.ends_at else "",
            permanent=current.permanent,
        )
    ban.user.__dict__.pop("_tribune_ban", None)
    logger.info("ban %s lifted", current.pk)
    return current


# --- Alerts ------------------------------------------------------------------------------
# Seen is shared by the team (who and when are on the alert itself), so no audit entry:
# marking an alert seen decides nothing about a comment or a person.


def mark_alert_seen(*, moderator, alert) -> ModerationAlert:
    """One alert looked at; the first moderator to do so is the one recorded."""
    permissions.require(moderator, permissions.HANDLE_ALERT, alert)
    with transaction.atomic():
        current = ModerationAlert.objects.select_for_update().filter(pk=alert.pk).first()
        if current is None:
            raise ValidationError(_("This alert no longer exists."), code="gone")
        if current.seen_at is None:
            current.seen_at = timezone.now()
            current.seen_by = moderator
            current.save(update_fields=["seen_at", "seen_by"])
    return current


def mark_all_alerts_seen(*, moderator, up_to: int | None = None) -> int:
    """Every new alert this moderator can see, up to the newest one on their screen
    (`up_to`), so an alert raised meanwhile stays new. One UPDATE; returns how many."""
    permissions.require(moderator, permissions.WATCH_MODERATION, None)
    alerts = scoped(ModerationAlert.objects.filter(seen_at__isnull=True), moderator)
    if up_to is not None:
        alerts = alerts.filter(pk__lte=up_to)
    return alerts.update(seen_at=timezone.now(), seen_by=moderator)


def appeal_deadline(decision):
    return decision.created_at + timedelta(days=ModerationRules.load().appeal_days)


def contest(*, author, decision, text) -> Appeal:
    """The author contests a rejection or a hiding, once, with a short text."""
    permissions.require(author, permissions.APPEAL, decision)
    if not decision.contestable:
        raise ValidationError(_("This decision cannot be contested."), code="not_contestable")
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Say in a few words why the decision should change."), code="empty")
    if len(text) > APPEAL_MAX_LENGTH:
        raise ValidationError(
            _("%(limit)s characters at most, please shorten your explanation.")
            % {"limit": APPEAL_MAX_LENGTH},
            code="too_long",
        )
    if timezone.now() > appeal_deadline(decision):
        raise ValidationError(
            _("The time to contest this decision is over: nothing was sent."), code="late"
        )
    once = _("You have already contested this decision: a moderator will answer.")
    with transaction.atomic():
        latest = (
            ModerationDecision.objects.filter(comment_id=decision.comment_id)
            .order_by("-created_at", "-id")
            .first()
        )
        if latest.pk != decision.pk:
            raise ValidationError(
                _("This decision has been replaced by a newer one."), code="superseded"
            )
        if Appeal.objects.filter(comment_id=decision.comment_id).exists():
            raise ValidationError(once, code="already_appealed")
        try:
            with transaction.atomic():
                appeal = Appeal.objects.create(
                    comment_id=decision.comment_id, decision=decision, author=author, text=text
                )
        except IntegrityError:
            raise ValidationError(once, code="already_appealed") from None
        _audit(decision.comment, LOG_APPEAL, author, decision=decision.pk)
        transaction.on_commit(
            lambda: events.publish(
                events.Event(
                    "moderation.appeal",
                    decision.comment.consultation_id,
                    {"id": decision.comment_id},
                    audience=events.MODERATORS,
                )
            )
        )
    return appeal


def decide_appeal(*, moderator, appeal, grant: bool, answer="") -> Appeal:
    """A moderator other than the one who decided answers the appeal; final."""
    permissions.require(moderator, permissions.DECIDE_APPEAL, appeal)
    answer = (answer or "").strip()
    if len(answer) > NOTE_MAX_LENGTH:
        raise ValidationError(
            _("The note is %(length)s characters long: %(limit)s at most.")
            % {"length": len(answer), "limit": NOTE_MAX_LENGTH},
            code="note_too_long",
        )
    with transaction.atomic():
        current = Appeal.objects.select_for_update().filter(pk=appeal.pk).first()
        if current is None or current.status != Appeal.Status.OPEN:
            raise ValidationError(
                _(
                    "This appeal has already been decided, probably by another moderator: "
                    "nothing was changed."
                ),
                code="already_decided",
            )
        comment = _lock(current.comment_id)
        was_published = comment.is_published
        if grant:
            if comment.state in (State.HIDDEN, State.REJECTED):
                comment_services.move_to_state(comment, State.PUBLISHED)
                Comment.objects.filter(pk=comment.pk).update(moderation_reason="", hold_rule="")
            action = Decision.APPEAL_GRANTED
        else:
            action = Decision.APPEAL_UPHELD
        decision = _decide(
            moderator, comment, action, reason=comment.moderation_reason, note=answer
        )
        current.status = Appeal.Status.GRANTED if grant else Appeal.Status.UPHELD
        current.decided_by = moderator
        current.decided_at = timezone.now()
        current.answer = answer
        current.save(update_fields=["status", "decided_by", "decided_at", "answer"])
        _audit(comment, LOG_APPEAL_DECIDED, moderator, granted=grant, answer=answer)
        _broadcast_state(comment, was_published=was_published)
        notifications.decision_made(decision)
    return current


BULK_ACTIONS = {
    "publish": lambda moderator, comment, reason, note: publish(
        moderator=moderator, comment=comment
    ),
    "reject": lambda moderator, comment, reason, note: reject(
        moderator=moderator, comment=comment, reason=reason, note=note
    ),
    "hide": lambda moderator, comment, reason, note: hide(
        moderator=moderator, comment=comment, reason=reason, note=note
    ),
    "restore": lambda moderator, comment, reason, note: restore(
        moderator=moderator, comment=comment
    ),
    "handled": lambda moderator, comment, reason, note: mark_handled(
        moderator=moderator, comment=comment
    ),
}


def bulk(*, moderator, action, comment_ids, reason="", note="") -> tuple[int, list[str]]:
    """The same action on a selection; each comment in its own transaction, so one
    already decided by someone else does not undo the others. Returns (done, refusals)."""
    if action not in BULK_ACTIONS:
        raise ValidationError(_("Choose an action."), code="action")
    if action in ("reject", "hide"):
        _clean_reason(reason, note)
    done, refusals = 0, []
    comments = Comment.objects.filter(pk__in=list(comment_ids)[:200]).order_by("pk")
    from django.core.exceptions import PermissionDenied

    for comment in comments:
        try:
            BULK_ACTIONS[action](moderator, comment, reason, note)
            done += 1
        except (ValidationError, PermissionDenied) as error:
            text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            refusals.append(f"#{comment.pk} : {text}")
    return done, refusals


# --- Crisis switches --------------------------------------------------------------------


def set_crisis(
    *, moderator, consultation, a_priori=None, slow_mode_minutes=None, frozen=None, message=None
) -> ConsultationModeration:
    """Flip one or more crisis switches of a consultation; each change is logged."""
    permissions.require(moderator, permissions.CRISIS, consultation)
    if slow_mode_minutes is not None:
        try:
            slow_mode_minutes = int(slow_mode_minutes)
        except (TypeError, ValueError):
            slow_mode_minutes = -1
        if not 0 <= slow_mode_minutes <= 24 * 60:
            raise ValidationError(
                _("Give the slow mode in minutes, between 0 (off) and 1440."), code="slow"
            )
    if message is not None:
        message = message.strip()
        if len(message) > FREEZE_MESSAGE_MAX_LENGTH:
            raise ValidationError(
                _("The banner message is %(length)s characters long: %(limit)s at most.")
                % {"length": len(message), "limit": FREEZE_MESSAGE_MAX_LENGTH},
                code="message_too_long",
            )
    if frozen and not message:
        raise ValidationError(
            _("Write the banner message shown while the consultation is frozen."),
            code="message",
        )
    with transaction.atomic():
        crisis, _created = ConsultationModeration.objects.select_for_update().get_or_create(
            consultation=consultation
        )
        if a_priori is not None and a_priori != crisis.force_a_priori:
            crisis.force_a_priori = a_priori
            _audit(consultation, LOG_CRISIS_A_PRIORI, moderator, on=a_priori)
        if slow_mode_minutes is not None and slow_mode_minutes != crisis.slow_mode_minutes:
            crisis.slow_mode_minutes = slow_mode_minutes
            _audit(consultation, LOG_CRISIS_SLOW, moderator, minutes=slow_mode_minutes)
        if frozen is not None and frozen != crisis.frozen:
            crisis.frozen = frozen
            crisis.freeze_message = message if frozen else ""
            _audit(consultation, LOG_CRISIS_FREEZE, moderator, on=frozen, message=message or "")
        crisis.save()
        data = {
            "a_priori": crisis.force_a_priori,
            "slow_mode": crisis.slow_mode_minutes,
            "frozen": crisis.frozen,
        }
        transaction.on_commit(
            lambda: events.publish(events.Event("consultation.crisis", consultation.pk, data))
        )
    consultation.__dict__.pop("_tribune_crisis", None)
    return crisis
