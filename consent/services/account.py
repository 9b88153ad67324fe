"""What a person changes about their own account from « Mes données »."""

import logging

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from consent import permissions
from consent.registry import Choice
from consent.services import mail
from consent.services.erasure import erase_accounts

logger = logging.getLogger(__name__)


def update_display_name(actor, user, display_name: str):
    permissions.require(actor, permissions.EDIT_PROFILE, user)
    user.display_name = display_name
    user.save(update_fields=["display_name"])
    logger.info("display name changed for account %s", user.pk)
    return user


def update_declared_postcode(actor, user, postcode: str):
    permissions.require(actor, permissions.EDIT_PROFILE, user)
    user.declared_postcode = postcode
    user.save(update_fields=["declared_postcode"])
    logger.info("declared postcode changed for account %s", user.pk)
    return user


def delete_account(actor, user, *, choice: str, recently_authenticated: bool) -> dict:
    """Erase the account at once; contributions stay anonymised or go, as chosen.

    `recently_authenticated`: the view asks allauth whether the password was typed
    in the last few minutes; without it nothing is deleted.
    """
    permissions.require(actor, permissions.DELETE_ACCOUNT, user)
    if not recently_authenticated:
        raise PermissionDenied(_("Confirm your password before deleting your account."))
    if choice not in Choice.values:
        raise ValueError(f"unknown choice {choice!r}")
    email, display_name, pk = user.email, user.display_name, user.pk
    with transaction.atomic():
        results = erase_accounts([pk], choice=choice)
        transaction.on_commit(
            lambda: mail.send(
                "consent/email/account_deleted",
                to=email,
                context={
                    "display_name": display_name,
                    "kept": choice == Choice.ANONYMISE,
                    # Sent from a no-reply address: say where to write instead.
                    "contact": mail.contact_address(),
                },
            )
        )
    logger.info("account %s deleted by its owner (%s)", pk, choice)
    return results
