"""Polls on a consultation: questions, choices, one ballot per person, sharded tallies.

Tallies are counters split into shards: DESIGN.md measured 2,208 ballots/s with 50
writers on PostgreSQL, but 567/s when every transaction also updates one hot row. A
ballot draws its shard once and keeps it, so every change lands on the same rows and
no shard is ever decremented below what it was incremented by.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
)
from wagtail.models import Orderable

from cms.models import Status


class ResultsVisibility(models.TextChoices):
    ALWAYS = "always", _("Always")
    AFTER_VOTING = "after_voting", _("To each person once they have voted")
    AFTER_CLOSING = "after_closing", _("Only once the poll has closed")


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    TEXT = "text", _("Free text (private, never published)")


class PollQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)


class Poll(ClusterableModel):
    """A set of questions put to the participants of one consultation."""

    consultation = models.ForeignKey(
        "participation.ConsultationPage",
        verbose_name=_("consultation"),
        on_delete=models.CASCADE,
        related_name="polls",
    )
    title = models.CharField(_("title"), max_length=200)
    intro = models.TextField(
        _("introduction"),
        blank=True,
        max_length=1000,
        help_text=_("Optional: why this poll, and what its results will be used for."),
    )
    is_published = models.BooleanField(
        _("shown on the consultation page"),
        default=False,
        help_text=_("Prepare the poll, then tick this box to put it online."),
    )
    closes_at = models.DateTimeField(
        _("closing date"),
        null=True,
        blank=True,
        help_text=_("Leave empty to close the poll with the consultation."),
    )
    results_visibility = models.CharField(
        _("results visible"),
        max_length=20,
        choices=ResultsVisibility.choices,
        default=ResultsVisibility.AFTER_VOTING,
    )
    allow_change = models.BooleanField(
        _("participants may change their ballot"),
        default=True,
        help_text=_("Until the poll closes."),
    )
    verified_only = models.BooleanField(
        _("verified identity required"),
        default=False,
        help_text=_("Only people signed in with FranceConnect may vote."),
    )
    allowed_places = models.CharField(
        _("residents of"),
        max_length=500,
        blank=True,
        help_text=_(
            "Optional, with « verified identity required »: postcodes or INSEE commune codes, "
            "separated by commas. Only people whose FranceConnect address is there may vote."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = PollQuerySet.as_manager()

    panels = [
        FieldPanel("consultation"),
        FieldPanel("title"),
        FieldPanel("intro"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("closes_at"), FieldPanel("results_visibility")]),
                FieldPanel("allow_change"),
                FieldRowPanel([FieldPanel("verified_only"), FieldPanel("allowed_places")]),
                FieldPanel("is_published"),
            ],
            heading=_("Settings"),
        ),
        InlinePanel("questions", heading=_("Questions"), label=_("question"), min_num=1),
    ]

    class Meta:
        verbose_name = _("poll")
        verbose_name_plural = _("polls")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def place_codes(self) -> set[str]:
        return {code.strip() for code in self.allowed_places.split(",") if code.strip()}

    @property
    def effective_closes_at(self):
        """The poll's own closing date, else the consultation's (None: no end)."""
        return self.closes_at or self.consultation.closes_at

    def status_at(self, when) -> Status:
        if when < self.consultation.opens_at:
            return Status.UPCOMING
        closes_at = self.effective_closes_at
        if closes_at is not None and when >= closes_at:
            return Status.CLOSED
        return Status.OPEN

    @property
    def status(self) -> Status:
        return self.status_at(timezone.now())

    @property
    def is_closed(self) -> bool:
        return self.status == Status.CLOSED

    def results_visible_to(self, has_voted: bool, when=None) -> bool:
        """Whether results may be shown to a person who has (or has not) voted."""
        if self.status_at(when or timezone.now()) == Status.CLOSED:
            return True
        if self.results_visibility == ResultsVisibility.ALWAYS:
            return True
        return self.results_visibility == ResultsVisibility.AFTER_VOTING and has_voted

    def clean(self):
        super().clean()
        if not self.consultation_id or self.closes_at is None:
            return
        consultation = self.consultation
        if self.closes_at <= consultation.opens_at:
            raise ValidationError(
                {
                    "closes_at": _("The poll must close after the consultation opens (%(date)s).")
                    % {"date": formats.date_format(consultation.opens_at, "j F Y H:i")}
                }
            )
        if consultation.closes_at and self.closes_at > consultation.closes_at:
            raise ValidationError(
                {
                    "closes_at": _(
                        "The poll cannot close after its consultation (%(date)s): leave "
                        "the date empty to close them together."
                    )
                    % {"date": formats.date_format(consultation.closes_at, "j F Y H:i")}
                }
            )


class Question(ClusterableModel, Orderable):
    poll = ParentalKey(Poll, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(_("question"), max_length=300)
    kind = models.CharField(
        _("kind of answer"),
        max_length=10,
        choices=QuestionKind.choices,
        default=QuestionKind.SINGLE,
    )
    max_choices = models.PositiveSmallIntegerField(
        _("maximum number of choices"),
        null=True,
        blank=True,
        help_text=_("Multiple choice only. Leave empty for no maximum."),
    )

    panels = [
        FieldPanel("text"),
        FieldRowPanel([FieldPanel("kind"), FieldPanel("max_choices")]),
        InlinePanel(
            "choices",
            heading=_("Choices"),
            label=_("choice"),
            help_text=_("At least two choices for a choice question; none for free text."),
        ),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return self.text

    @property
    def field_name(self) -> str:
        """Name of this question's field in ballot forms and validation errors."""
        return self.field_name_for(self.pk)

    @staticmethod
    def field_name_for(question_id) -> str:
        return f"q{question_id}"

    @property
    def is_text(self) -> bool:
        return self.kind == QuestionKind.TEXT

    @property
    def is_multiple(self) -> bool:
        return self.kind == QuestionKind.MULTIPLE


class Choice(Orderable):
    question = ParentalKey(Question, on_delete=models.CASCADE, related_name="choices")
    label = models.CharField(_("choice"), max_length=200)

    panels = [FieldPanel("label")]

    class Meta(Orderable.Meta):
        verbose_name = _("choice")
        verbose_name_plural = _("choices")

    def __str__(self) -> str:
        return self.label


class Ballot(models.Model):
    """One person's answers to one poll.

    `voter` is nullable so an account can be erased (GDPR) while its ballot stays in
    the tallies; the unique constraint still allows one linked ballot per person, since
    NULLs never conflict in a unique index (PostgreSQL and SQLite alike).
    """

    poll = models.ForeignKey(
        Poll, verbose_name=_("poll"), on_delete=models.CASCADE, related_name="ballots"
    )
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("voter"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="poll_ballots",
    )
    shard = models.PositiveSmallIntegerField(_("tally shard"), default=0)
    # The voter's identity was verified by FranceConnect when the ballot was cast: the
    # results say how many such participants voted.
    verified = models.BooleanField(_("verified identity"), default=False)
    created_at = models.DateTimeField(_("cast at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed at"), auto_now=True)

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        constraints = [
            models.UniqueConstraint(
                fields=["poll", "voter"], name="participation_one_ballot_per_person"
            )
        ]
        indexes = [
            models.Index(
                fields=["poll"],
                condition=models.Q(verified=True),
                name="participation_ballot_verified",
            )
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class Selection(models.Model):
    """A choice ticked on a ballot. RESTRICT: a choice that received votes cannot be
    deleted on its own, only with its whole poll."""

    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="selections")
    question = models.ForeignKey(Question, on_delete=models.RESTRICT, related_name="+")
    choice = models.ForeignKey(Choice, on_delete=models.RESTRICT, related_name="selections")

    class Meta:
        verbose_name = _("selected choice")
        verbose_name_plural = _("selected choices")
        constraints = [
            models.UniqueConstraint(
                fields=["ballot", "choice"], name="participation_choice_once_per_ballot"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ballot_id} → {self.choice_id}"


class TextAnswer(models.Model):
    """A free-text answer: read by the communication team, never published."""

    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="text_answers")
    question = models.ForeignKey(Question, on_delete=models.RESTRICT, related_name="text_answers")
    text = models.TextField(_("answer"))
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed at"), auto_now=True)

    class Meta:
        verbose_name = _("free-text answer")
        verbose_name_plural = _("free-text answers")
        constraints = [
            models.UniqueConstraint(
                fields=["ballot", "question"], name="participation_text_once_per_ballot"
            )
        ]
        indexes = [models.Index(fields=["question", "-id"], name="participation_text_by_q")]

    def __str__(self) -> str:
        return self.text[:50]


class ChoiceTally(models.Model):
    """One shard of the number of ballots that ticked a choice."""

    choice = models.ForeignKey(Choice, on_delete=models.CASCADE, related_name="tallies")
    shard = models.PositiveSmallIntegerField()
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["choice", "shard"], name="participation_choice_tally_shard"
            )
        ]

    def __str__(self) -> str:
        return f"{self.choice_id}/{self.shard}: {self.count}"


class PollTally(models.Model):
    """One shard of the number of ballots of a poll (its participants)."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="tallies")
    shard = models.PositiveSmallIntegerField()
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["poll", "shard"], name="participation_poll_tally_shard")
        ]

    def __str__(self) -> str:
        return f"{self.poll_id}/{self.shard}: {self.count}"
