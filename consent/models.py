"""What consent keeps: proofs of consent, versioned legal texts, export files, purge runs.

No model here holds more than its purpose needs: a visitor is a salted hash, the
audience figures are daily counters without any identifier.
"""

import hashlib
import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.fields import RichTextField


def text_hash(text: str) -> str:
    """The fingerprint of a text shown to a person: proves which wording they saw."""
    return hashlib.sha256(" ".join(str(text).split()).encode()).hexdigest()


class Purpose(models.TextChoices):
    AUDIENCE_COOKIES = "cookies:audience", _("Audience measurement cookie")
    TERMS = "terms", _("Terms of use")
    PRIVACY_POLICY = "privacy", _("Privacy policy (information)")
    NOTIFICATIONS = "notifications", _("E-mail notifications")
    AGE = "age", _("Age declaration (15 or older)")


class Decision(models.TextChoices):
    GRANTED = "granted", _("Given")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ConsentRecordQuerySet(models.QuerySet):
    def current(self):
        """Records not replaced by a later decision on the same purpose."""
        return self.filter(ended_at__isnull=True)

    def latest_for(self, *, purpose, user=None, subject_hash=None):
        rows = self.filter(purpose=purpose)
        rows = rows.filter(user=user) if user is not None else rows.filter(subject=subject_hash)
        return rows.order_by("-created_at", "-pk").first()


class ConsentRecord(models.Model):
    """Proof of one decision: who, on what (purpose, version, text shown), what, when.

    `subject` always holds a salted hash (of the visitor's random consent id, or of
    the account id), so the proof survives the deletion of the account unlinked.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="consent_records",
    )
    subject = models.CharField(_("subject (salted hash)"), max_length=64, db_index=True)
    purpose = models.CharField(_("purpose"), max_length=32, choices=Purpose.choices)
    version = models.CharField(_("version"), max_length=64)
    text_hash = models.CharField(_("hash of the text shown"), max_length=64)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    created_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)
    ended_at = models.DateTimeField(
        _("end"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_("When the decision stopped applying: replaced, expired or account deleted."),
    )

    objects = ConsentRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "purpose", "-created_at"])]

    def __str__(self):
        return f"{self.get_purpose_display()} — {self.get_decision_display()}"

    @property
    def version_label(self) -> str:
        """The version as people read it. A cookie group's version is the instant its
        cookies last changed (django-cookie-consent writes it in ISO 8601): shown as a
        date, not as « 2026-12-03T10:20:11.123456+00:00 »."""
        from django.utils.dateformat import format as format_date
        from django.utils.dateparse import parse_datetime

        try:
            moment = parse_datetime(self.version)
        except ValueError:
            moment = None
        if moment is not None:
            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            return _("of %(date)s") % {"date": format_date(moment, "j F Y")}
        if self.purpose == Purpose.AGE:
            return _("%(age)s years or older") % {"age": self.version}
        return self.version

    @property
    def who(self) -> str:
        if self.user_id:
            return _("account #%(id)s") % {"id": self.user_id}
        return _("visitor %(hash)s…") % {"hash": self.subject[:12]}


class LegalDocumentKind(models.TextChoices):
    TERMS = "terms", _("Terms of use")
    PRIVACY = "privacy", _("Privacy policy")


class LegalDocumentQuerySet(models.QuerySet):
    def published(self, now=None):
        return self.filter(published_at__lte=now or timezone.now())

    def current(self, kind, now=None):
        return self.published(now).filter(kind=kind).order_by("-version").first()


class LegalDocument(models.Model):
    """One version of the terms of use or of the privacy policy.

    A version is never changed once published: a new one is written instead, and
    people accept it again (terms) or are told of it (privacy policy).
    """

    kind = models.CharField(_("document"), max_length=10, choices=LegalDocumentKind.choices)
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    changes = models.TextField(
        _("what changed"),
        blank=True,
        help_text=_("Shown to people asked to accept the new version."),
    )
    body = RichTextField(_("text"), features=["h2", "h3", "bold", "italic", "link", "ul", "ol"])
    published_at = models.DateTimeField(
        _("in force from"),
        default=timezone.now,
        help_text=_("A future date schedules the version; it cannot be edited once in force."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LegalDocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("legal document")
        verbose_name_plural = _("legal documents")
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="legal_document_version")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} — v{self.version}"

    @property
    def label(self) -> str:
        return f"v{self.version}"

    @property
    def fingerprint(self) -> str:
        return text_hash(f"{self.title}\n{self.body}")

    @property
    def is_in_force(self) -> bool:
        return self.published_at <= timezone.now()


def private_storage():
    """ZIP files live outside MEDIA_ROOT: only the download view, after checking who
    asks, ever reads them."""
    return storages["private"]


def export_path(instance, filename):
    return f"exports/{instance.token}.zip"


class DataExport(models.Model):
    """A ZIP of everything Tribune holds about a person, kept a few days for download."""

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports"
    )
    file = models.FileField(
        upload_to=export_path,
        storage=private_storage,
        max_length=200,
    )
    size = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")
        ordering = ["-created_at"]

    def __str__(self):
        return f"export {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def filename(self) -> str:
        return f"tribune-mes-donnees-{timezone.localtime(self.created_at):%Y-%m-%d-%H%M}.zip"


class InactivityNotice(models.Model):
    """An e-mail warning that an inactive account will be deleted: sent once per step."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inactivity_notices"
    )
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("inactivity warning")
        verbose_name_plural = _("inactivity warnings")
        indexes = [models.Index(fields=["user", "days_before", "sent_at"])]

    def __str__(self):
        return f"J-{self.days_before} ({self.sent_at:%Y-%m-%d})"


class PurgeStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Done with errors")
    SKIPPED = "skipped", _("Skipped: another run in progress")


class PurgeRun(models.Model):
    """What one run of purge_expired_data did, for administrators."""

    started_at = models.DateTimeField(_("started"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=PurgeStatus.choices, default=PurgeStatus.RUNNING
    )
    total = models.PositiveBigIntegerField(_("rows affected"), default=0)
    results = models.JSONField(_("rows per rule"), default=list)
    trigger = models.CharField(_("started by"), max_length=20, default="command")

    class Meta:
        verbose_name = _("purge run")
        verbose_name_plural = _("purge runs")
        ordering = ["-started_at"]

    def __str__(self):
        return f"{timezone.localtime(self.started_at):%Y-%m-%d %H:%M} — {self.get_status_display()}"

    @property
    def errors(self):
        return [row for row in self.results if row.get("error")]


class PurgeLock(models.Model):
    """One row while a purge runs: a second run started meanwhile sees it and stops.

    A unique row works the same on SQLite and PostgreSQL; it expires so a crashed run
    does not block the next night's.
    """

    name = models.CharField(max_length=40, unique=True)
    expires_at = models.DateTimeField()

    def __str__(self):
        return self.name


class AudienceDay(models.Model):
    """Visitors of one day who accepted the audience cookie: first visits and returns.

    Counters only: no identifier, no address, no page.
    """

    day = models.DateField(_("day"), unique=True)
    new_visitors = models.PositiveIntegerField(_("first visits"), default=0)
    returning_visitors = models.PositiveIntegerField(_("returning visitors"), default=0)

    class Meta:
        verbose_name = _("audience (day)")
        verbose_name_plural = _("audience (days)")
        ordering = ["-day"]

    def __str__(self):
        return str(self.day)
