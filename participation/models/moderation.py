"""Moderation: the charter's reasons, decisions, appeals, bans, moderators'
scopes, per-consultation crisis switches, site-wide rules and alerts.

Crisis switches live in their own row per consultation rather than on the page: a
page's fields are rewritten by every publish of a revision, which would silently undo
a freeze decided in the middle of a crisis.
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

from accounts import roles


class CharterReason(models.TextChoices):
    """The moderation charter's reasons, given to the author of a rejected or hidden
    comment and counted (never quoted) in the public summary."""

    ABUSE = "abuse", _("Insult, harassment or discrimination")
    PERSONAL_DATA = "personal_data", _("Personal data of someone else")
    SPAM = "spam", _("Advertising or spam")
    OFF_TOPIC = "off_topic", _("Off topic")
    MISINFORMATION = "misinformation", _("Manifestly false information")
    ILLEGAL = "illegal", _("Illegal content or threat")


class DefaultModeration(models.TextChoices):
    A_PRIORI = "a_priori", _("A priori (comments wait for a moderator)")
    A_POSTERIORI = "a_posteriori", _("A posteriori (comments are published at once)")


def validate_patterns(text: str) -> None:
    """One word or regular expression per line; a pattern Python cannot compile is
    refused with its line number, so a typo never disables the whole filter."""
    errors = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        try:
            re.compile(line, re.IGNORECASE)
        except re.error as error:
            errors.append(
                _("Line %(number)s (« %(pattern)s ») is not a valid pattern: %(error)s.")
                % {"number": number, "pattern": line, "error": error}
            )
    if errors:
        raise ValidationError(errors)


def patterns(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


# Whole words only: "tuer" must not match "s'habituer", nor "danger" "dangereuse".
DEFAULT_WATCH_WORDS = "\n".join(
    [r"\burgences?\b", r"\bdangers?\b", r"\bmenaces?\b", r"\btuer\b", r"\bbombes?\b"]
)


@register_setting(icon="warning")
class ModerationRules(BaseGenericSetting):
    """Site-wide moderation rules, edited by administrators and moderators."""

    default_moderation = models.CharField(
        _("default moderation"),
        max_length=12,
        choices=DefaultModeration.choices,
        default=DefaultModeration.A_POSTERIORI,
        help_text=_("Applies to consultations that follow the site-wide default."),
    )
    report_threshold = models.PositiveSmallIntegerField(
        _("reports before automatic hold"),
        default=3,
        help_text=_(
            "A published comment reported by this many different people is hidden until a "
            "moderator decides."
        ),
    )
    word_filter = models.TextField(
        _("word filter"),
        blank=True,
        validators=[validate_patterns],
        help_text=_(
            "One word or regular expression per line. A matching comment waits for a "
            "moderator, who sees the matching line."
        ),
    )
    watch_words = models.TextField(
        _("watch list"),
        blank=True,
        default=DEFAULT_WATCH_WORDS,
        validators=[validate_patterns],
        help_text=_(
            "One word or regular expression per line. A matching comment raises an alert "
            "to the moderators (it is not held for that)."
        ),
    )
    max_links = models.PositiveSmallIntegerField(
        _("links before hold"),
        default=3,
        help_text=_("A comment with more links than this waits for a moderator."),
    )
    appeal_days = models.PositiveSmallIntegerField(_("days to contest a decision"), default=14)
    surge_factor = models.PositiveSmallIntegerField(
        _("surge factor"),
        default=5,
        help_text=_(
            "An alert is raised when a consultation receives this many times its usual "
            "number of comments per minute."
        ),
    )
    alert_emails = models.TextField(
        _("alert e-mail addresses"),
        blank=True,
        help_text=_("One address per line; empty: every moderator receives alerts."),
    )
    panels = [
        FieldPanel("default_moderation"),
        MultiFieldPanel(
            [
                FieldPanel("report_threshold"),
                FieldPanel("word_filter"),
                FieldPanel("max_links"),
                FieldPanel("appeal_days"),
            ],
            heading=_("Automatic rules"),
        ),
        MultiFieldPanel(
            [FieldPanel("watch_words"), FieldPanel("surge_factor"), FieldPanel("alert_emails")],
            heading=_("Alerts"),
        ),
    ]

    class Meta:
        verbose_name = _("moderation rules")
        verbose_name_plural = _("moderation rules")


class ConsultationModeration(models.Model):
    """Crisis switches of one consultation, flipped in one click each from the admin."""

    consultation = models.OneToOneField(
        "participation.ConsultationPage",
        verbose_name=_("consultation"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="moderation",
    )
    force_a_priori = models.BooleanField(_("a priori moderation (crisis)"), default=False)
    slow_mode_minutes = models.PositiveSmallIntegerField(
        _("slow mode (minutes between two comments)"), default=0
    )
    frozen = models.BooleanField(_("frozen"), default=False)
    freeze_message = models.TextField(_("banner message"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("crisis settings")
        verbose_name_plural = _("crisis settings")

    def __str__(self) -> str:
        return f"{self.consultation_id}"


class ModeratorScope(models.Model):
    """A moderator limited to some consultations. A moderator without any row moderates
    every consultation."""

    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("moderator"),
        on_delete=models.CASCADE,
        related_name="moderation_scopes",
        # The admin's choice list: moderators only, not every account.
        limit_choices_to={"groups__name": roles.MODERATORS},
    )
    consultation = models.ForeignKey(
        "participation.ConsultationPage",
        verbose_name=_("consultation"),
        on_delete=models.CASCADE,
        related_name="+",
    )

    class Meta:
        verbose_name = _("moderation scope")
        verbose_name_plural = _("moderation scopes")
        constraints = [
            models.UniqueConstraint(fields=["moderator", "consultation"], name="scope_once")
        ]

    def __str__(self) -> str:
        return f"{self.moderator_id} → {self.consultation_id}"


class Decision(models.TextChoices):
    PUBLISH = "publish", _("Published")
    REJECT = "reject", _("Rejected")
    HIDE = "hide", _("Hidden")
    RESTORE = "restore", _("Restored")
    HANDLED = "handled", _("Reports handled")
    APPEAL_UPHELD = "appeal_upheld", _("Appeal refused: decision confirmed")
    APPEAL_GRANTED = "appeal_granted", _("Appeal accepted: comment restored")


class ModerationDecision(models.Model):
    """One decision on one comment: what the author is told and may contest."""

    comment = models.ForeignKey(
        "participation.Comment",
        verbose_name=_("comment"),
        on_delete=models.CASCADE,
        related_name="decisions",
    )
    # The person the decision is about (the comment's author when it was taken).
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="moderation_decisions",
    )
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("moderator"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("decision"), max_length=20, choices=Decision.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=CharterReason.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("decided at"), auto_now_add=True)

    class Meta:
        verbose_name = _("moderation decision")
        verbose_name_plural = _("moderation decisions")
        indexes = [
            models.Index(fields=["author", "created_at"], name="decision_by_author"),
            models.Index(fields=["comment", "created_at"], name="decision_by_comment"),
        ]

    def __str__(self) -> str:
        return f"{self.comment_id}: {self.action}"

    @property
    def contestable(self) -> bool:
        return self.action in (Decision.REJECT, Decision.HIDE)


class Appeal(models.Model):
    """The author contests a rejection or a hiding, once per comment; a different
    moderator decides, finally."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        UPHELD = "upheld", _("Decision confirmed")
        GRANTED = "granted", _("Comment restored")

    comment = models.OneToOneField(
        "participation.Comment",
        verbose_name=_("comment"),
        on_delete=models.CASCADE,
        related_name="appeal",
    )
    decision = models.ForeignKey(
        ModerationDecision,
        verbose_name=_("contested decision"),
        on_delete=models.CASCADE,
        related_name="appeals",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="moderation_appeals",
    )
    text = models.TextField(_("why the decision should change"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(_("contested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    answer = models.TextField(_("answer"), blank=True)

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        indexes = [models.Index(fields=["status", "id"], name="appeal_queue")]

    def __str__(self) -> str:
        return f"{self.comment_id}: {self.status}"


class BanQuerySet(models.QuerySet):
    def active(self, now=None):
        now = now or timezone.now()
        return self.filter(lifted_at__isnull=True).filter(
            Q(ends_at__isnull=True) | Q(ends_at__gt=now)
        )


class Ban(models.Model):
    """A person barred from taking part, for a while or for good."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("banned person"),
        on_delete=models.CASCADE,
        related_name="bans",
    )
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("moderator"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.TextField(_("reason"))
    created_at = models.DateTimeField(_("banned at"), auto_now_add=True)
    ends_at = models.DateTimeField(
        _("until"), null=True, blank=True, help_text=_("Empty: permanent.")
    )
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lifted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = BanQuerySet.as_manager()

    class Meta:
        verbose_name = _("ban")
        verbose_name_plural = _("bans")
        indexes = [models.Index(fields=["user", "lifted_at"], name="ban_by_user")]

    def __str__(self) -> str:
        return f"{self.user_id}"

    @property
    def permanent(self) -> bool:
        return self.ends_at is None

    def is_active(self, now=None) -> bool:
        now = now or timezone.now()
        return self.lifted_at is None and (self.ends_at is None or self.ends_at > now)


class ModerationAlert(models.Model):
    """Something moderators should look at now, shown in the admin panel and e-mailed."""

    class Kind(models.TextChoices):
        REPORTS = "reports", _("Report threshold reached")
        WATCH_WORD = "watch_word", _("Watch-list word")
        SURGE = "surge", _("Surge of comments")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    consultation = models.ForeignKey(
        "participation.ConsultationPage",
        verbose_name=_("consultation"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    comment = models.ForeignKey(
        "participation.Comment",
        verbose_name=_("comment"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    # Seen once for the whole team: the first moderator who handles an alert takes it
    # off everyone's list of new alerts, and the others read who did and when.
    seen_at = models.DateTimeField(_("seen at"), null=True, blank=True)
    seen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("seen by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("moderation alert")
        verbose_name_plural = _("moderation alerts")
        indexes = [models.Index(fields=["seen_at", "id"], name="alert_unseen")]

    def __str__(self) -> str:
        return f"{self.kind} {self.consultation_id}"
