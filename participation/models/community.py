"""Community management: audience counters, shares, daily figures,
objectives, feedback, follows and published results.

Visits and shares are aggregated counters per page (or consultation) and day: no
cookie, no IP address, no identifier of any kind is stored, which keeps them inside
the CNIL's audience-measurement exemption. Everything else the dashboard shows is
pre-aggregated per consultation and day by `services.community.rollup`, so the
dashboard reads a few hundred rows whatever the size of the consultation.
"""

import re

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class PageVisits(models.Model):
    """How many times a page was viewed on a day (bots left out). Nothing else."""

    page = models.ForeignKey(
        "wagtailcore.Page", verbose_name=_("page"), on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField(_("day"))
    count = models.PositiveIntegerField(_("visits"), default=0)

    class Meta:
        verbose_name = _("page visits")
        verbose_name_plural = _("page visits")
        constraints = [
            models.UniqueConstraint(fields=["page", "day"], name="community_visits_page_day")
        ]
        indexes = [models.Index(fields=["day"], name="community_visits_day")]

    def __str__(self) -> str:
        return f"{self.page_id} {self.day}: {self.count}"


class Network(models.TextChoices):
    LINKEDIN = "linkedin", "LinkedIn"
    X = "x", "X"
    FACEBOOK = "facebook", "Facebook"
    MASTODON = "mastodon", "Mastodon"
    BLUESKY = "bluesky", "Bluesky"
    WHATSAPP = "whatsapp", "WhatsApp"
    EMAIL = "email", _("E-mail")


class ShareCount(models.Model):
    """How many times a page's share link for one network was followed on a day."""

    page = models.ForeignKey(
        "wagtailcore.Page", verbose_name=_("page"), on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField(_("day"))
    network = models.CharField(_("network"), max_length=12, choices=Network.choices)
    count = models.PositiveIntegerField(_("shares"), default=0)

    class Meta:
        verbose_name = _("shares")
        verbose_name_plural = _("shares")
        constraints = [
            models.UniqueConstraint(
                fields=["page", "day", "network"], name="community_shares_page_day_network"
            )
        ]
        indexes = [models.Index(fields=["day"], name="community_shares_day")]

    def __str__(self) -> str:
        return f"{self.page_id} {self.day} {self.network}: {self.count}"


class DailyFigures(models.Model):
    """A consultation's contributions on one day, computed from the contribution tables
    by the rollup (participants are counted on the day they first took part, so the
    sum over any period is the number of distinct new participants)."""

    consultation = models.ForeignKey(
        "participation.ConsultationPage",
        verbose_name=_("consultation"),
        on_delete=models.CASCADE,
        related_name="daily_figures",
    )
    day = models.DateField(_("day"))
    participants = models.PositiveIntegerField(_("new participants"), default=0)
    comments = models.PositiveIntegerField(_("comments"), default=0)
    replies = models.PositiveIntegerField(_("replies"), default=0)
    supports = models.PositiveIntegerField(_("supports"), default=0)
    ballots = models.PositiveIntegerField(_("ballots"), default=0)
    official_answers = models.PositiveIntegerField(_("official answers"), default=0)
    answered = models.PositiveIntegerField(_("comments answered officially"), default=0)
    published = models.PositiveIntegerField(_("published"), default=0)
    held = models.PositiveIntegerField(_("held for moderation"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    hidden = models.PositiveIntegerField(_("hidden"), default=0)
    feedback_count = models.PositiveIntegerField(_("feedback answers"), default=0)
    feedback_total = models.PositiveIntegerField(_("sum of feedback ratings"), default=0)
    # Seconds from a top-level comment to its first official answer, for comments
    # posted that day: a median cannot be summed, so the dashboard merges these lists.
    answer_delays = models.JSONField(_("delays to the first official answer"), default=list)

    class Meta:
        verbose_name = _("daily figures")
        verbose_name_plural = _("daily figures")
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "day"], name="community_figures_consultation_day"
            )
        ]
        indexes = [models.Index(fields=["day"], name="community_figures_day")]

    def __str__(self) -> str:
        return f"{self.consultation_id} {self.day}"


class Metric(models.TextChoices):
    VISITS = "visits", _("Visits")
    PARTICIPANTS = "participants", _("Participants")
    COMMENTS = "comments", _("Comments")
    BALLOTS = "ballots", _("Ballots")
    SHARES = "shares", _("Shares")
    ANSWERED_PERCENT = "answered_percent", _("% of comments answered officially")
    ENGAGEMENT_PERCENT = "engagement_percent", _("Engagement rate (%)")
    SATISFACTION = "satisfaction", _("Average satisfaction (out of 5)")


class Objective(models.Model):
    """A target figure the team sets on a consultation (500 participants, 30 %…).

    Edited from the dashboard, not in the page editor: a page's inline children are
    rewritten by every publish of an older revision."""

    consultation = models.ForeignKey(
        "participation.ConsultationPage",
        verbose_name=_("consultation"),
        on_delete=models.CASCADE,
        related_name="engagement_objectives",
    )
    metric = models.CharField(_("figure"), max_length=20, choices=Metric.choices)
    target = models.DecimalField(
        _("target"),
        max_digits=10,
        decimal_places=1,
        validators=[MinValueValidator(0)],
    )

    class Meta:
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")
        ordering = ["consultation", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "metric"], name="community_objective_once_per_metric"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_metric_display()}: {self.target}"


class Feedback(models.Model):
    """« Cette consultation vous a-t-elle été utile ? », once per person and consultation."""

    consultation = models.ForeignKey(
        "participation.ConsultationPage",
        verbose_name=_("consultation"),
        on_delete=models.CASCADE,
        related_name="feedback",
    )
    # Kept, unlinked, when the account goes: the rating stays in the figures.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="consultation_feedback",
    )
    rating = models.PositiveSmallIntegerField(
        _("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("answered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "user"], name="community_feedback_once_per_person"
            ),
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=5), name="community_feedback_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.consultation_id}: {self.rating}/5"


class Follow(models.Model):
    """A person follows a consultation, a thread (its top-level comment) or a theme:
    they are told of what happens there (services.notifications). Exactly one target.
    `automatic`: made by commenting or voting, not by the « Suivre » button."""

    consultation = models.ForeignKey(
        "participation.ConsultationPage",
        verbose_name=_("consultation"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="follows",
    )
    thread = models.ForeignKey(
        "participation.Comment",
        verbose_name=_("thread"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="follows",
    )
    theme = models.ForeignKey(
        "taggit.Tag",
        verbose_name=_("theme"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="consultation_follows",
    )
    automatic = models.BooleanField(_("followed by taking part"), default=False)
    created_at = models.DateTimeField(_("followed since"), auto_now_add=True)
    notified_at = models.DateTimeField(_("told of the results at"), null=True, blank=True)

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [
            # NULLs never collide in a unique index: each target has its own.
            models.UniqueConstraint(
                fields=["consultation", "user"], name="community_follow_once_per_person"
            ),
            models.UniqueConstraint(fields=["thread", "user"], name="follow_thread_once"),
            models.UniqueConstraint(fields=["theme", "user"], name="follow_theme_once"),
            models.CheckConstraint(
                condition=(
                    models.Q(consultation__isnull=False, thread__isnull=True, theme__isnull=True)
                    | models.Q(consultation__isnull=True, thread__isnull=False, theme__isnull=True)
                    | models.Q(consultation__isnull=True, thread__isnull=True, theme__isnull=False)
                ),
                name="follow_one_target",
            ),
        ]
        indexes = [models.Index(fields=["user", "-id"], name="follow_user")]

    def __str__(self) -> str:
        target = self.consultation_id or self.thread_id or self.theme_id
        return f"{target} ← {self.user_id}"


class ConsultationResults(models.Model):
    """What came out of a consultation: « Vous avez dit, nous avons fait »."""

    consultation = models.OneToOneField(
        "participation.ConsultationPage",
        verbose_name=_("consultation"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="results",
    )
    summary = models.TextField(_("summary of the contributions"))
    decisions = models.TextField(
        _("decisions taken"),
        help_text=_("One decision per paragraph (leave an empty line between two)."),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("results")
        verbose_name_plural = _("results")

    def __str__(self) -> str:
        return str(self.consultation_id)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def decision_list(self) -> list[str]:
        """One decision per paragraph. Browsers send a textarea's line breaks as CRLF
        (HTML's form encoding), and a "blank" line may hold spaces: any run of line
        breaks with only white space between them separates two decisions."""
        return [part.strip() for part in PARAGRAPH_BREAK.split(self.decisions) if part.strip()]


PARAGRAPH_BREAK = re.compile(r"(?:\r\n|\r|\n)[^\S\r\n]*(?:\r\n|\r|\n)\s*")
