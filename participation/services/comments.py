"""Every write of a comment thread: post, reply, edit, delete, support, report.

Each function checks the permission, validates, writes in one transaction (counters
with F() expressions in the same transaction) and schedules the broadcast on commit.
Refusals raise PermissionDenied (not allowed), ValidationError (bad input) or
ratelimits.RateLimited (too fast), each with a French message for the person.
"""

import logging
import re
import uuid
from collections import Counter, defaultdict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from participation import events, permissions, ratelimits
from participation.models import (
    Comment,
    CommentVersion,
    Position,
    Report,
    ReportReason,
    State,
    Support,
    ThreadStats,
)
from participation.models.comments import MAX_DEPTH, PATH_SEGMENT, path_segment
from participation.services import notifications
from participation.services import rules as moderation_rules

logger = logging.getLogger(__name__)

REPORT_DETAILS_MAX_LENGTH = 1000
# Control characters other than line breaks and tabs: invisible, and a way to smuggle
# look-alike text past moderators.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e]")


def clean_body(body: str | None) -> str:
    """The text as it will be kept: plain text, line breaks kept, at most N characters."""
    text = CONTROL_CHARACTERS.sub("", (body or "").replace("\r\n", "\n").replace("\r", "\n"))
    text = "\n".join(line.rstrip() for line in text.strip().split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", text)
    if not text:
        raise ValidationError(_("Write your comment before publishing it."), code="empty")
    limit = settings.TRIBUNE_COMMENT_MAX_LENGTH
    if len(text) > limit:
        raise ValidationError(
            _("Your comment is %(length)s characters long: %(limit)s at most, please shorten it.")
            % {"length": len(text), "limit": limit},
            code="too_long",
        )
    return text


def clean_position(consultation, position: str | None, *, top_level: bool) -> str:
    position = (position or "").strip()
    if not position or not top_level or not consultation.comment_positions:
        return ""
    if position not in Position.values:
        raise ValidationError(_("Choose for, against or neutral."), code="bad_position")
    return position


def _hit(user, action: str) -> None:
    limit, period = settings.TRIBUNE_RATE_LIMITS[action]
    ratelimits.hit(user, action, limit=limit, period=period)


def _ancestor_ids(comment) -> list[int]:
    path = comment.path
    return [
        int(path[i + 1 : i + PATH_SEGMENT])
        for i in range(0, len(path) - PATH_SEGMENT, PATH_SEGMENT)
    ]


def _count_published(comment, delta: int) -> None:
    """A comment enters (+1) or leaves (-1) the published set: ancestors' reply counts
    and the thread's total follow, in the caller's transaction."""
    ancestors = _ancestor_ids(comment)
    if ancestors:
        Comment.objects.filter(pk__in=ancestors).update(replies_count=F("replies_count") + delta)
    consultation_id = comment.consultation_id
    if not ThreadStats.objects.filter(pk=consultation_id).update(comments=F("comments") + delta):
        _stats, created = ThreadStats.objects.get_or_create(
            consultation_id=consultation_id, defaults={"comments": max(delta, 0)}
        )
        if not created:  # another transaction created it first
            ThreadStats.objects.filter(pk=consultation_id).update(comments=F("comments") + delta)


def move_to_state(comment, state: str) -> None:
    """Change a comment's state and keep every counter right. Call inside a transaction
    after the permission check; the moderation services build on this."""
    was_published = comment.state == State.PUBLISHED
    was_pending = comment.state == State.PENDING
    comment.state = state
    Comment.objects.filter(pk=comment.pk).update(state=state)
    now_published = state == State.PUBLISHED
    if was_published != now_published:
        _count_published(comment, 1 if now_published else -1)
    if was_published and not now_published:
        # Hidden, rejected or deleted: what the centre said about it is withdrawn.
        notifications.comment_withdrawn([comment.pk])
    elif now_published and was_pending:
        # Released by a moderator: those it answers are told now.
        notifications.comment_published(comment)
    if comment.is_official and comment.root_id:
        _refresh_official_flag(comment.root_id)


def _refresh_official_flag(root_id: int) -> None:
    has_answer = Comment.objects.filter(
        root_id=root_id, is_official=True, state=State.PUBLISHED
    ).exists()
    Comment.objects.filter(pk=root_id).update(has_official_answer=has_answer)


def _parse_key(key) -> uuid.UUID | None:
    if not key:
        return None
    try:
        return uuid.UUID(str(key))
    except ValueError:
        return None  # a mangled key only loses the double-click protection


def post_comment(
    *,
    author,
    consultation,
    body,
    parent=None,
    position=None,
    official=False,
    key=None,
    posted_at=None,
) -> Comment:
    """Publish, or hold for pre-moderation, a comment or a reply.

    A reply to a comment at the deepest level is attached beside it (same parent) and
    remembers whom it answers. A double click (same key) returns the first comment.
    `posted_at` dates a comment written earlier (the demo's history, an import): it
    keeps that date and is not counted as activity of this minute, so it raises no
    « Afflux de commentaires » alert.
    """
    if parent is not None:
        if parent.consultation_id != consultation.pk:
            raise ValidationError(
                _("This comment belongs to another consultation: reply to it on its own page."),
                code="other_consultation",
            )
        parent.consultation = consultation
        if official:
            permissions.require(author, permissions.ANSWER_OFFICIALLY, parent)
        else:
            permissions.require(author, permissions.REPLY, parent)
    else:
        permissions.require(author, permissions.COMMENT, consultation)
        if official:
            raise ValidationError(
                _("An official answer replies to a comment."), code="official_top_level"
            )
    text = clean_body(body)
    position = clean_position(consultation, position, top_level=parent is None)
    key = _parse_key(key)
    # Word filter, many links (held for review) and slow mode.
    hold_rule, hold_action = ("", "") if official else moderation_rules.screen(text)
    if not official:
        moderation_rules.check_slow_mode(author, consultation)

    with transaction.atomic():
        if key and (existing := Comment.objects.filter(author=author, idempotency_key=key).first()):
            return existing
        if parent is not None:
            # Read again under lock: the comment may have been deleted or hidden since.
            parent = Comment.objects.select_for_update().get(pk=parent.pk)
            parent.consultation = consultation
            permissions.require(
                author, permissions.ANSWER_OFFICIALLY if official else permissions.REPLY, parent
            )
        _hit(author, "comment")
        in_reply_to = None
        if parent is not None and parent.depth >= MAX_DEPTH - 1:
            in_reply_to, parent = parent, parent.parent
        premoderated = (consultation.premoderated or bool(hold_rule)) and not official
        comment = Comment(
            consultation=consultation,
            author=author,
            parent=parent,
            root_id=(parent.root_id or parent.pk) if parent else None,
            in_reply_to=in_reply_to,
            depth=parent.depth + 1 if parent else 0,
            body=text,
            position=position,
            state=State.PENDING if premoderated else State.PUBLISHED,
            is_official=official,
            idempotency_key=key,
        )
        try:
            with transaction.atomic():
                comment.save()
        except IntegrityError:
            # The same key committed by a concurrent request (a double click).
            if key and (
                existing := Comment.objects.filter(author=author, idempotency_key=key).first()
            ):
                return existing
            raise
        comment.path = (parent.path if parent else "") + path_segment(comment.pk, official)
        if posted_at is not None:
            comment.created_at = posted_at
        Comment.objects.filter(pk=comment.pk).update(
            path=comment.path, created_at=comment.created_at
        )
        if comment.is_published:
            _count_published(comment, 1)
        if official and comment.is_published:
            Comment.objects.filter(pk=comment.root_id).update(has_official_answer=True)
        moderation_rules.after_post(comment, hold_rule, hold_action, count=posted_at is None)
        if posted_at is None:  # history being loaded tells nobody
            notifications.comment_posted(comment)
        found = events.comment_created(comment)
        transaction.on_commit(lambda: events.publish_all(found))
    logger.info(
        "comment %s posted on consultation %s (%s)", comment.pk, consultation.pk, comment.state
    )
    return comment


def edit_comment(*, user, comment, body, position=None) -> Comment:
    """The author rewrites their comment within the edit window; the previous text is
    kept for moderators. Under a priori moderation the new text waits for a moderator."""
    permissions.require(user, permissions.EDIT_COMMENT, comment)
    text = clean_body(body)
    consultation = comment.consultation
    position = (
        clean_position(consultation, position, top_level=comment.parent_id is None)
        if position is not None
        else comment.position
    )
    if text == comment.body and position == comment.position:
        return comment
    _hit(user, "comment_edit")
    with transaction.atomic():
        current = Comment.objects.select_for_update().get(pk=comment.pk)
        current.consultation = consultation
        permissions.require(user, permissions.EDIT_COMMENT, current)
        CommentVersion.objects.create(
            comment=current,
            body=current.body,
            position=current.position,
            reason=CommentVersion.Reason.EDITED,
            written_at=current.edited_at or current.created_at,
        )
        was_published = current.is_published
        current.body = text
        current.position = position
        current.edited_at = timezone.now()
        current.save(update_fields=["body", "position", "edited_at"])
        if was_published and consultation.premoderated and not current.is_official:
            move_to_state(current, State.PENDING)
        # An edit cannot slip past the word filter or the links rule.
        hold_rule, hold_action = ("", "") if current.is_official else moderation_rules.screen(text)
        if hold_rule and current.state == State.PUBLISHED:
            move_to_state(current, State.PENDING)
        if hold_rule:
            moderation_rules.after_post(current, hold_rule, hold_action, count=False)
        found = events.comment_edited(current, was_published=was_published)
        transaction.on_commit(lambda: events.publish_all(found))
    logger.info("comment %s edited by its author (%s)", current.pk, current.state)
    return current


def delete_comment(*, user, comment) -> Comment:
    """The author withdraws their comment: its text disappears from the site (kept as a
    version for moderators), its replies stay in place."""
    permissions.require(user, permissions.DELETE_COMMENT, comment)
    with transaction.atomic():
        current = Comment.objects.select_for_update().get(pk=comment.pk)
        current.consultation = comment.consultation
        permissions.require(user, permissions.DELETE_COMMENT, current)
        if current.body:
            CommentVersion.objects.create(
                comment=current,
                body=current.body,
                position=current.position,
                reason=CommentVersion.Reason.DELETED,
                written_at=current.edited_at or current.created_at,
            )
        current.body = ""
        current.position = ""
        current.deleted_at = timezone.now()
        current.save(update_fields=["body", "position", "deleted_at"])
        move_to_state(current, State.DELETED)
        found = events.comment_deleted(current)
        transaction.on_commit(lambda: events.publish_all(found))
    logger.info("comment %s deleted by its author", current.pk)
    return current


def set_support(*, user, comment, supported: bool) -> Comment:
    """Support (or stop supporting) a comment. Asking twice for the same thing changes
    nothing, so a double click cannot undo a support."""
    permissions.require(user, permissions.SUPPORT_COMMENT, comment)
    _hit(user, "support")
    with transaction.atomic():
        if supported:
            try:
                with transaction.atomic():
                    Support.objects.create(user=user, comment=comment)
                changed = 1
            except IntegrityError:
                changed = 0
        else:
            deleted, _details = Support.objects.filter(user=user, comment=comment).delete()
            changed = -1 if deleted else 0
        if changed:
            Comment.objects.filter(pk=comment.pk).update(
                supports_count=F("supports_count") + changed
            )
        comment.supports_count = (
            Comment.objects.filter(pk=comment.pk).values_list("supports_count", flat=True).get()
        )
        if changed:
            found = events.comment_supports_changed(comment)
            transaction.on_commit(lambda: events.publish_all(found))
    return comment


def report_comment(*, reporter, comment, reason, details="") -> Report:
    """Flag a comment for the moderators, once per person."""
    permissions.require(reporter, permissions.REPORT_COMMENT, comment)
    if reason not in ReportReason.values:
        raise ValidationError(_("Choose why you report this comment."), code="bad_reason")
    details = CONTROL_CHARACTERS.sub("", (details or "").replace("\r\n", "\n")).strip()
    if reason == ReportReason.OTHER and not details:
        raise ValidationError(_("Say in a few words what the problem is."), code="details_required")
    if len(details) > REPORT_DETAILS_MAX_LENGTH:
        raise ValidationError(
            _("%(limit)s characters at most, please shorten your explanation.")
            % {"limit": REPORT_DETAILS_MAX_LENGTH},
            code="too_long",
        )
    already = _("You have already reported this comment: the moderators will look at it.")
    with transaction.atomic():
        if Report.objects.filter(reporter=reporter, comment=comment).exists():
            raise ValidationError(already, code="already_reported")
        _hit(reporter, "report")
        try:
            with transaction.atomic():
                report = Report.objects.create(
                    reporter=reporter, comment=comment, reason=reason, details=details
                )
        except IntegrityError:
            raise ValidationError(already, code="already_reported") from None
        Comment.objects.filter(pk=comment.pk).update(reports_count=F("reports_count") + 1)
        comment.reports_count = (
            Comment.objects.filter(pk=comment.pk).values_list("reports_count", flat=True).get()
        )
        moderation_rules.after_report(comment)  # "Signalés" queue, auto-hold
        found = events.comment_reported(comment)
        transaction.on_commit(lambda: events.publish_all(found))
    logger.info("comment %s reported (%s)", comment.pk, reason)
    return report


# --- Account deletion (called through participation/privacy.py) -----------------------


def _subtract(model, deltas: Counter, field: str) -> None:
    """Subtract deltas {pk: n} from `field`, one UPDATE per distinct n (most are 1)."""
    by_amount = defaultdict(list)
    for pk, amount in deltas.items():
        by_amount[amount].append(pk)
    for amount, pks in by_amount.items():
        model.objects.filter(pk__in=pks).update(**{field: F(field) - amount})


def erase_authored(user_ids) -> int:
    """Deleted accounts whose owners chose to erase their contributions: each comment
    keeps its place in the thread (replies stay attached) with its text, position and
    previous versions gone, shown as deleted. Counters follow in the same transaction."""
    comments = Comment.objects.filter(author_id__in=user_ids)
    replies_lost, comments_lost, official_roots = Counter(), Counter(), set()
    for comment in comments.filter(state=State.PUBLISHED).only(
        "pk", "path", "depth", "consultation_id", "root_id", "is_official"
    ):
        replies_lost.update(_ancestor_ids(comment))
        comments_lost[comment.consultation_id] += 1
        if comment.is_official and comment.root_id:
            official_roots.add(comment.root_id)
    _subtract(Comment, replies_lost, "replies_count")
    _subtract(ThreadStats, comments_lost, "comments")
    CommentVersion.objects.filter(comment__author_id__in=user_ids).delete()
    notifications.comment_withdrawn(comments.values_list("pk", flat=True))
    comments.filter(deleted_at__isnull=True).update(deleted_at=timezone.now())
    erased = comments.update(
        body="", position="", state=State.DELETED, author=None, idempotency_key=None
    )
    for root_id in official_roots:
        _refresh_official_flag(root_id)
    logger.info("%s comments erased with their authors' accounts", erased)
    return erased


def withdraw_supports(user_ids) -> int:
    """Deleted accounts take their supports with them: who supported what is personal,
    and a count that no row backs could never be checked again."""
    supports = Support.objects.filter(user_id__in=user_ids)
    per_comment = Counter(supports.values_list("comment_id", flat=True).iterator())
    _subtract(Comment, per_comment, "supports_count")
    removed, _per_model = supports.delete()
    return removed
