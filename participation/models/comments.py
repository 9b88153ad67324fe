"""Comment threads: comments and replies, supports, reports, kept versions, counters.

Counters (supports, replies, reports, the thread's total) are updated with F()
expressions in the transaction that changes them, so a page view never counts rows.
Replies carry a materialised `path` so one indexed range gives a thread in reading
order, official answers first among their siblings.
"""

import functools

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

# Depth is counted from 0 (a top-level comment) to MAX_DEPTH - 1.
MAX_DEPTH = 4
PATH_SEGMENT = 13  # one flag digit + 12 digits of id


class Position(models.TextChoices):
    FOR = "pour", _("For")
    AGAINST = "contre", _("Against")
    NEUTRAL = "neutre", _("Neutral")


class State(models.TextChoices):
    PENDING = "pending", _("Awaiting moderation")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")
    HIDDEN = "hidden", _("Hidden by moderation")
    DELETED = "deleted", _("Deleted by its author")


class Comment(models.Model):
    consultation = models.ForeignKey(
        "participation.ConsultationPage",
        verbose_name=_("consultation"),
        on_delete=models.CASCADE,
        related_name="comments",
        db_index=False,  # covered by the (consultation, depth, …) indexes below
    )
    # An account deleted later leaves its contributions in place, anonymised.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="comments",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent comment"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )
    root = models.ForeignKey(
        "self",
        verbose_name=_("top-level comment"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Empty for a top-level comment."),
        db_index=False,  # covered by the (root, path) index
    )
    # Set when the person answered a comment at the deepest level: the reply is
    # attached beside it, and says whom it answers.
    in_reply_to = models.ForeignKey(
        "self",
        verbose_name=_("in reply to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    depth = models.PositiveSmallIntegerField(_("depth"), default=0)
    path = models.CharField(_("path"), max_length=PATH_SEGMENT * MAX_DEPTH, blank=True)
    body = models.TextField(_("text"), blank=True)
    position = models.CharField(_("position"), max_length=10, choices=Position.choices, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PUBLISHED
    )
    is_official = models.BooleanField(_("official answer"), default=False)
    has_official_answer = models.BooleanField(_("has an official answer"), default=False)
    supports_count = models.PositiveIntegerField(_("supports"), default=0)
    replies_count = models.PositiveIntegerField(
        _("replies"), default=0, help_text=_("Published replies at every level below.")
    )
    reports_count = models.PositiveIntegerField(_("reports"), default=0)
    created_at = models.DateTimeField(_("posted at"), auto_now_add=True)
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    # A fresh key in every form: a double click posts the same key twice.
    idempotency_key = models.UUIDField(null=True, blank=True, editable=False)
    # --- Moderation ---
    # The automatic rule that held the comment for review, shown to the moderator.
    hold_rule = models.CharField(_("held by rule"), max_length=200, blank=True)
    # The charter reason of the current rejection or hiding (counted, never quoted,
    # in the public summary).
    moderation_reason = models.CharField(_("moderation reason"), max_length=20, blank=True)
    # Reports not yet handled by a moderator: the "Signalés" queue.
    reports_open = models.BooleanField(_("reports to handle"), default=False)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        constraints = [
            models.CheckConstraint(
                condition=Q(depth__lt=MAX_DEPTH), name="comment_depth_within_limit"
            ),
            models.CheckConstraint(
                condition=Q(parent__isnull=True, root__isnull=True, depth=0)
                | Q(parent__isnull=False, root__isnull=False, depth__gt=0),
                name="comment_tree_consistent",
            ),
            models.UniqueConstraint(
                fields=["author", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="comment_unique_idempotency_key",
            ),
        ]
        # One index per sort order of the top-level list, so the first page and a
        # deep page (keyset) both start with an index seek (benchmarks/thread.py).
        # Equality on (consultation, depth) makes them the planner's obvious choice.
        indexes = [
            models.Index(fields=["consultation", "depth", "id"], name="comment_top_recent"),
            models.Index(
                fields=["consultation", "depth", "supports_count", "id"],
                name="comment_top_supported",
            ),
            models.Index(
                fields=["consultation", "depth", "replies_count", "id"],
                name="comment_top_discussed",
            ),
            models.Index(
                fields=["consultation", "depth", "has_official_answer", "id"],
                name="comment_top_official",
            ),
            models.Index(fields=["root", "path"], name="comment_thread_order"),
            # Moderation queues: "À modérer" / "Tout" by state, newest first;
            # "Signalés" by number of distinct reporters (benchmarks/moderation.py).
            models.Index(fields=["state", "id"], name="comment_moderation_state"),
            models.Index(
                fields=["reports_open", "reports_count", "id"], name="comment_moderation_reported"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    def get_absolute_url(self) -> str:
        return self.links["permalink"]

    @cached_property
    def links(self) -> dict:
        """Addresses of the comment's actions, built from one reversed prefix: a thread
        page shows some 80 comments × 5 links, and reverse() is the costly part."""
        base = f"{comment_url_prefix()}{self.pk}/"
        found = {
            "permalink": base,
            "reply": base + "repondre/",
            "edit": base + "modifier/",
            "delete": base + "supprimer/",
            "support": base + "soutenir/",
            "report": base + "signaler/",
            "replies": base + "reponses/",
        }
        if self.in_reply_to_id:
            found["in_reply_to"] = f"{comment_url_prefix()}{self.in_reply_to_id}/"
        return found

    @property
    def is_published(self) -> bool:
        return self.state == State.PUBLISHED

    @property
    def is_placeholder(self) -> bool:
        """Shown only as "deleted" / "hidden", without its text."""
        return self.state in (State.DELETED, State.HIDDEN)

    @property
    def thread_id(self) -> int:
        return self.root_id or self.pk


@functools.cache
def comment_url_prefix() -> str:
    from django.urls import reverse

    return reverse("participation:comment", args=[1]).removesuffix("1/")


def path_segment(comment_id: int, official: bool) -> str:
    # "0" sorts before "1": official answers come first among siblings.
    return f"{0 if official else 1}{comment_id:012d}"


class CommentVersion(models.Model):
    """A text as it was before an edit or a deletion by its author, for moderators."""

    class Reason(models.TextChoices):
        EDITED = "edited", _("Edited")
        DELETED = "deleted", _("Deleted by its author")

    comment = models.ForeignKey(
        Comment, verbose_name=_("comment"), on_delete=models.CASCADE, related_name="versions"
    )
    body = models.TextField(_("text"))
    position = models.CharField(_("position"), max_length=10, blank=True)
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    written_at = models.DateTimeField(_("written at"))
    replaced_at = models.DateTimeField(_("replaced at"), auto_now_add=True)

    class Meta:
        verbose_name = _("comment version")
        verbose_name_plural = _("comment versions")
        ordering = ["comment", "-replaced_at", "-id"]

    def __str__(self) -> str:
        return f"{self.comment} ({self.get_reason_display()})"


class Support(models.Model):
    """One person supports one comment; who supports what is never published."""

    comment = models.ForeignKey(
        Comment, verbose_name=_("comment"), on_delete=models.CASCADE, related_name="supports"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="comment_supports",
    )
    created_at = models.DateTimeField(_("supported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("support")
        verbose_name_plural = _("supports")
        constraints = [
            models.UniqueConstraint(fields=["user", "comment"], name="support_once_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.comment} +1"


class ReportReason(models.TextChoices):
    SPAM = "spam", _("Spam or advertising")
    ABUSE = "abuse", _("Insult or harassment")
    OFF_TOPIC = "off_topic", _("Off topic")
    PERSONAL_DATA = "personal_data", _("Personal data")
    MISINFORMATION = "misinformation", _("Misinformation")
    OTHER = "other", _("Other")


class Report(models.Model):
    """A person flags a comment for the moderators (moderators work the queue)."""

    comment = models.ForeignKey(
        Comment, verbose_name=_("comment"), on_delete=models.CASCADE, related_name="reports"
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="comment_reports",
    )
    reason = models.CharField(_("reason"), max_length=20, choices=ReportReason.choices)
    details = models.TextField(_("details"), blank=True)
    created_at = models.DateTimeField(_("reported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(fields=["reporter", "comment"], name="report_once_per_person")
        ]
        indexes = [models.Index(fields=["comment", "created_at"], name="report_by_comment")]

    def __str__(self) -> str:
        return f"{self.comment}: {self.get_reason_display()}"


class ThreadStats(models.Model):
    """Totals of a consultation's thread, one row per consultation (not on the page
    itself: publishing a page revision would overwrite a counter stored there)."""

    consultation = models.OneToOneField(
        "participation.ConsultationPage",
        verbose_name=_("consultation"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="thread_stats",
    )
    comments = models.PositiveIntegerField(_("published comments and replies"), default=0)

    class Meta:
        verbose_name = _("thread totals")
        verbose_name_plural = _("thread totals")

    def __str__(self) -> str:
        return f"{self.consultation_id}: {self.comments}"
