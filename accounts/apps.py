from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        # allauth announces each second factor typed (at sign-in, at « reauthenticate »,
        # and the code that enrols an authenticator): the session keeps it for
        # accounts.permissions, which the admin and the staff rules read.
        from allauth.mfa import signals

        signals.authenticator_used.connect(_second_factor_typed, dispatch_uid="tribune-2fa-used")
        signals.authenticator_added.connect(_second_factor_typed, dispatch_uid="tribune-2fa-added")


def _second_factor_typed(sender, request, user, authenticator, **kwargs):
    from accounts import permissions

    if request is not None and user is not None and user.pk is not None:
        permissions.record_second_factor(request.session, user, how=authenticator.type)
