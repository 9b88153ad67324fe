"""What people are told: one Notification per event and recipient, their e-mail
choices per kind (NotificationPreference). Follows live in models.community.

A notification is unique per (event key, recipient): the fan-out task inserts with
ON CONFLICT DO NOTHING, so running it twice (a worker restarted mid-batch) creates
nothing twice, and an e-mail is claimed by a conditional UPDATE of `emailed_at` before
it leaves, so it never leaves twice either.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    REPLY = "reply", _("A reply to my comment")
    OFFICIAL_ANSWER = "official_answer", _("An official answer in a thread I took part in")
    DECISION = "decision", _("A moderation decision on my comment")
    RESULTS = "results", _("The results of a consultation I follow")
    NEW_CONSULTATION = "new_consultation", _("A new consultation on a theme I follow")
    CLOSING = "closing", _("A consultation I follow closes in 3 days")


class EmailMode(models.TextChoices):
    NEVER = "never", _("Never")
    IMMEDIATE = "immediate", _("Immediately")
    DAILY = "daily", _("Daily digest")
    WEEKLY = "weekly", _("Weekly digest")


def _mode_field(label):
    # Empty: the person never chose, the default of services.notifications applies
    # (least intrusive: on the site only).
    return models.CharField(label, max_length=10, choices=EmailMode.choices, blank=True)


class NotificationPreference(models.Model):
    """A person's e-mail choice per kind, and whether taking part follows on its own.
    No row: the defaults (services.notifications.DEFAULTS)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    reply = _mode_field(_("replies to my comments"))
    official_answer = _mode_field(_("official answers"))
    decision = _mode_field(_("moderation decisions"))
    results = _mode_field(_("results"))
    new_consultation = _mode_field(_("new consultations"))
    closing = _mode_field(_("consultations closing"))
    auto_follow = models.BooleanField(
        _("follow a consultation when I comment or vote in it"), default=True
    )
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("notification preferences")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user_id)


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # What happened, once: "answer:<comment id>", "decision:<id>", "results:<page id>:<n>"…
    event_key = models.CharField(_("event"), max_length=64)
    consultation = models.ForeignKey(
        "participation.ConsultationPage",
        verbose_name=_("consultation"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # The comment the notification is about (the reply, the answer, the decided
    # comment): hidden or deleted, the notification is withdrawn with it.
    comment = models.ForeignKey(
        "participation.Comment",
        verbose_name=_("comment"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    email_mode = models.CharField(
        _("e-mail"), max_length=10, choices=EmailMode.choices, default=EmailMode.NEVER
    )
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["event_key", "recipient"], name="notification_once_per_event"
            )
        ]
        indexes = [
            # The centre's list and the bell's unread count.
            models.Index(fields=["recipient", "-id"], name="notification_recipient"),
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread",
            ),
            # The digests: e-mails due, by mode.
            models.Index(
                fields=["email_mode", "recipient"],
                condition=models.Q(emailed_at__isnull=True),
                name="notification_email_due",
            ),
            models.Index(fields=["comment"], name="notification_comment"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
