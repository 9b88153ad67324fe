"""The querysets and treatments behind the retention rules of consent/privacy.py.

Inactivity counts from the last sign-in, or from sign-up for an account never used.
Administrators (superusers) are never deleted automatically: an institution must not
lose its last way into the admin to a rule.
"""

import logging
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import override

from consent.models import DataExport, InactivityNotice
from consent.registry import Choice
from consent.services import mail

logger = logging.getLogger(__name__)


def _users():
    return (
        get_user_model()
        .objects.filter(is_superuser=False)
        .annotate(last_activity=Coalesce("last_login", "date_joined"))
    )


def _inactive_days() -> int:
    return int(settings.TRIBUNE_RETENTION_DAYS["inactive_accounts"])


# --- Unverified accounts ----------------------------------------------------------------


def unverified_accounts_due(now, cutoff):
    verified = EmailAddress.objects.filter(user=OuterRef("pk"), verified=True)
    return (
        get_user_model()
        .objects.filter(is_superuser=False, is_staff=False, date_joined__lt=cutoff)
        .filter(~Exists(verified))
    )


def delete_unverified_accounts(rows, now) -> int:
    from consent.services.erasure import erase_accounts

    ids = list(rows.values_list("pk", flat=True))
    erase_accounts(ids, choice=Choice.ERASE)
    return len(ids)


# --- Inactive accounts ------------------------------------------------------------------------


def warning_due(days_before: int, later_step: int | None):
    """Accounts entering the `days_before` window, not yet warned for it since their
    last activity. A later (closer) window takes over, so nobody gets two mails at once."""

    def due(now, cutoff):
        rows = _users().filter(last_activity__lt=cutoff)
        if later_step is not None:
            rows = rows.filter(
                last_activity__gte=now - timedelta(days=_inactive_days() - later_step)
            )
        warned = InactivityNotice.objects.filter(
            user=OuterRef("pk"), days_before=days_before, sent_at__gte=OuterRef("last_activity")
        )
        return rows.filter(~Exists(warned))

    return due


def warn_inactive_accounts(days_before: int):
    def apply(rows, now) -> int:
        users = list(rows.only("pk", "email", "display_name", "last_login", "date_joined"))
        InactivityNotice.objects.bulk_create(
            [InactivityNotice(user=user, days_before=days_before, sent_at=now) for user in users]
        )
        deletion = now + timedelta(days=days_before)
        messages = [(user.email, user.display_name) for user in users]
        # Sent once the notices are committed: a rolled-back batch sends nothing, and a
        # committed one is never sent again.
        transaction.on_commit(lambda: _send_warnings(messages, deletion))
        return len(users)

    return apply


def _send_warnings(messages, deletion):
    with override(settings.LANGUAGE_CODE):
        date = formats.date_format(timezone.localtime(deletion), "j F Y")
        for email, display_name in messages:
            mail.send(
                "consent/email/inactivity_warning",
                to=email,
                context={"display_name": display_name, "deletion_date": date},
            )


def inactive_accounts_due(last_step: int | None):
    """Inactive accounts, once the last warning has had its full delay."""

    def due(now, cutoff):
        rows = _users().filter(last_activity__lt=cutoff)
        if last_step is None:
            return rows
        warned = InactivityNotice.objects.filter(
            user=OuterRef("pk"),
            days_before=last_step,
            sent_at__gte=OuterRef("last_activity"),
            sent_at__lte=now - timedelta(days=last_step),
        )
        return rows.filter(Exists(warned))

    return due


def delete_inactive_accounts(rows, now) -> int:
    from consent.services.erasure import erase_accounts

    ids = list(rows.values_list("pk", flat=True))
    # As a person deleting their account by default would: contributions stay,
    # anonymised, because a consultation is a public-interest record.
    erase_accounts(ids, choice=Choice.ANONYMISE)
    logger.info("deleted %s inactive accounts", len(ids))
    return len(ids)


# --- Sessions and exports ----------------------------------------------------------------------


def expired_django_sessions(now, cutoff):
    return Session.objects.filter(expire_date__lt=now)


def stale_user_sessions(now, cutoff):
    from allauth.usersessions.models import UserSession

    return UserSession.objects.filter(last_seen_at__lt=cutoff)


def expired_exports(now, cutoff):
    return DataExport.objects.filter(created_at__lt=cutoff)
