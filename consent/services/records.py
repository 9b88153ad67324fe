"""Proof of consent: one ConsentRecord per decision, and the decisions in force.

Terms of use, the privacy policy (information, not consent), e-mail notifications,
the age declaration and cookies all go through `record`.
"""

import hashlib
import hmac
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from consent.models import (
    ConsentRecord,
    Decision,
    LegalDocument,
    LegalDocumentKind,
    Purpose,
    text_hash,
)

logger = logging.getLogger(__name__)


def salted_hash(value: str) -> str:
    return hmac.new(
        settings.TRIBUNE_CONSENT_SALT.encode(), value.encode(), hashlib.sha256
    ).hexdigest()


def subject_of(*, user=None, visitor_id: str = "") -> str:
    if user is not None and user.is_authenticated:
        return salted_hash(f"user:{user.pk}")
    if not visitor_id:
        raise ValueError("a consent record needs a user or a visitor id")
    return salted_hash(f"visitor:{visitor_id}")


def record(
    *,
    purpose: str,
    decision: str,
    version: str,
    text: str,
    user=None,
    visitor_id: str = "",
    now=None,
    lasts: timedelta | None = None,
) -> ConsentRecord:
    """Write the proof of one decision; the previous decision on the same purpose ends.

    `lasts`: a decision that lapses by itself (the cookie choice after 6 months) gets
    its end date now, so its retention runs from there.
    """
    now = now or timezone.now()
    user = user if user is not None and user.is_authenticated else None
    subject = subject_of(user=user, visitor_id=visitor_id)
    with transaction.atomic():
        ConsentRecord.objects.filter(subject=subject, purpose=purpose).filter(
            Q(ended_at__isnull=True) | Q(ended_at__gt=now)
        ).update(ended_at=now)
        entry = ConsentRecord.objects.create(
            user=user,
            subject=subject,
            purpose=purpose,
            version=str(version)[:64],
            text_hash=text_hash(text),
            decision=decision,
            created_at=now,
            ended_at=now + lasts if lasts else None,
        )
    logger.info("consent recorded: %s %s (record %s)", purpose, decision, entry.pk)
    return entry


def latest(user, purpose: str) -> ConsentRecord | None:
    if not user.is_authenticated:
        return None
    return ConsentRecord.objects.latest_for(purpose=purpose, user=user)


# --- Terms of use and privacy policy ------------------------------------------------------


def current_document(kind: str) -> LegalDocument | None:
    return LegalDocument.objects.current(kind)


def needs_terms_acceptance(user) -> bool:
    """True when a signed-in person has not accepted the terms in force.

    Cached on the user object: asked by every participation form of a page.
    """
    if not user.is_authenticated:
        return False
    if not hasattr(user, "_tribune_terms_pending"):
        terms = current_document(LegalDocumentKind.TERMS)
        accepted = latest(user, Purpose.TERMS)
        user._tribune_terms_pending = terms is not None and not (
            accepted is not None
            and accepted.decision == Decision.GRANTED
            and accepted.version == str(terms.version)
        )
    return user._tribune_terms_pending


def accept_terms(user, *, terms: LegalDocument, privacy: LegalDocument | None = None, now=None):
    """The person accepts this version of the terms, having been shown the privacy policy."""
    if terms.kind != LegalDocumentKind.TERMS or not terms.is_in_force:
        raise ValueError("only terms in force can be accepted")
    with transaction.atomic():
        record(
            purpose=Purpose.TERMS,
            decision=Decision.GRANTED,
            version=terms.version,
            text=f"{terms.title}\n{terms.body}",
            user=user,
            now=now,
        )
        if privacy is not None:
            record(
                purpose=Purpose.PRIVACY_POLICY,
                decision=Decision.GRANTED,
                version=privacy.version,
                text=f"{privacy.title}\n{privacy.body}",
                user=user,
                now=now,
            )
    if hasattr(user, "_tribune_terms_pending"):
        del user._tribune_terms_pending


# --- E-mail notifications ---------------------------------------------------------------------

NOTIFICATIONS_VERSION = "1"


def notifications_text() -> str:
    return _(
        "Send me e-mails about the consultations I take part in (answers to my "
        "comments, results). I can stop them at any time from « Mes données »."
    )


def wants_notifications(user) -> bool:
    entry = latest(user, Purpose.NOTIFICATIONS)
    return entry is not None and entry.decision == Decision.GRANTED


def set_notifications(user, enabled: bool, *, now=None) -> ConsentRecord | None:
    """Opt in or out. Nothing is written when the choice does not change."""
    if wants_notifications(user) == enabled:
        return None
    previous = latest(user, Purpose.NOTIFICATIONS)
    decision = Decision.GRANTED if enabled else Decision.WITHDRAWN if previous else Decision.REFUSED
    return record(
        purpose=Purpose.NOTIFICATIONS,
        decision=decision,
        version=NOTIFICATIONS_VERSION,
        text=notifications_text(),
        user=user,
        now=now,
    )


# --- Age ------------------------------------------------------------------------------------------


def age_text() -> str:
    return _("I am %(age)s or older.") % {"age": settings.TRIBUNE_MINIMUM_AGE}


def record_age(user, *, now=None) -> ConsentRecord:
    return record(
        purpose=Purpose.AGE,
        decision=Decision.GRANTED,
        version=str(settings.TRIBUNE_MINIMUM_AGE),
        text=age_text(),
        user=user,
        now=now,
    )
