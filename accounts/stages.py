"""allauth's sign-in stages, as Tribune needs them."""

from allauth.mfa.stages import AuthenticateStage as AllauthAuthenticateStage

from accounts import permissions


class AuthenticateStage(AllauthAuthenticateStage):
    """The authenticator code is not asked again of an agent whose ProConnect sign-in
    asserted a second factor at their own identity provider."""

    def _should_handle(self, request):
        sociallogin = (self.login.signal_kwargs or {}).get("sociallogin")
        if (
            sociallogin is not None
            and sociallogin.account.provider == "proconnect"
            and permissions.asserts_second_factor(sociallogin.account.extra_data)
        ):
            return False
        return super()._should_handle(request)
