import logging

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.contrib.auth.models import Group

from accounts import roles
from accounts.oidc import logout as oidc_logout

logger = logging.getLogger("tribune.oidc")


class AccountAdapter(DefaultAccountAdapter):
    """New accounts get the pseudonym they chose (or a generated one) and the citizen role."""

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        display_name = form.cleaned_data.get("display_name")
        if display_name:
            user.display_name = display_name
        if commit:
            user.save()
            group, _created = Group.objects.get_or_create(name=roles.DEFAULT)
            user.groups.add(group)
        return user

    def get_login_stages(self):
        return [
            "accounts.stages.AuthenticateStage"
            if path == "allauth.mfa.stages.AuthenticateStage"
            else path
            for path in super().get_login_stages()
        ]

    def get_logout_redirect_url(self, request):
        # Asked before the session ends: a FranceConnect or ProConnect session ends at the
        # provider too, which then sends the person back here.
        return oidc_logout.end_session_url(request) or super().get_logout_redirect_url(request)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """FranceConnect and ProConnect accounts: a pseudonym in public, no real name kept.

    ProConnect is for the team only: it signs in existing team accounts (linked once from
    « Mes données »), never creates one.
    """

    def is_open_for_signup(self, request, sociallogin):
        if sociallogin.account.provider == "proconnect":
            return False
        return super().is_open_for_signup(request, sociallogin)

    def can_authenticate_by_email(self, login, email):
        # Only ProConnect opens an existing account by its address, and only a team
        # account (accounts.roles) whose address Tribune verified itself: an agent's
        # professional address is theirs; a citizen's account is never opened this way.
        return login.account.provider == "proconnect"

    def authenticate_by_email(self, sociallogin):
        found = super().authenticate_by_email(sociallogin)
        if found is None:
            return None
        user, email = found
        team = roles.has_role(user, roles.AGENTS, *roles.STAFF) or user.is_superuser
        verified = user.emailaddress_set.filter(email__iexact=email, verified=True).exists()
        if not (team and verified):
            logger.warning("ProConnect sign-in refused: no team account with that address")
            return None
        return found

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        # The name received proves an identity; in public the person is a pseudonym.
        user.first_name = ""
        user.last_name = ""
        return user

    def save_user(self, request, sociallogin, form=None):
        user = super().save_user(request, sociallogin, form)
        group, _created = Group.objects.get_or_create(name=roles.DEFAULT)
        user.groups.add(group)
        return user

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ):
        # What went wrong, for whoever reads the logs; no token, no claim, no address.
        logger.warning(
            "OIDC sign-in with %s refused: %s (%s)",
            getattr(provider, "sub_id", provider),
            error,
            exception,
        )
