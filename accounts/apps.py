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

        # A sign-in through FranceConnect or ProConnect: the session keeps the ID token
        # for the sign-out at the provider, and a ProConnect sign-in that asserted a
        # second factor counts as one (accounts.permissions).
        from allauth.account.signals import user_logged_in

        user_logged_in.connect(_signed_in, dispatch_uid="tribune-oidc-signed-in")


def _second_factor_typed(sender, request, user, authenticator, **kwargs):
    from accounts import permissions

    if request is not None and user is not None and user.pk is not None:
        permissions.record_second_factor(request.session, user, how=authenticator.type)


def _signed_in(sender, request, user, sociallogin=None, **kwargs):
    if sociallogin is None or request is None:
        return
    from accounts import permissions
    from accounts.oidc import logout

    provider_id = sociallogin.account.provider
    id_token = (sociallogin.state or {}).get("id_token")
    if id_token:
        logout.remember(request.session, provider_id, id_token)
    if provider_id == "proconnect" and permissions.asserts_second_factor(
        sociallogin.account.extra_data
    ):
        permissions.record_second_factor(request.session, user, how="proconnect")
