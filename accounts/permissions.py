"""Staff powers belong to a session, not only to an account.

A password can leak; the second factor proves the person holds the phone too. So the
roles that reach the admin (roles.STAFF) count only in a session that passed the second
factor, whatever door it came in by: allauth's sign-in asks for the code of accounts that
have one, and a session that typed a code afterwards (allauth's « reauthenticate » form,
or the code that enrolled the authenticator) passes too. The admin, the moderators' live
stream and every staff rule of the apps (they all go through roles.has_role) read the
mark this module puts on the user of each request or WebSocket connection.

Code outside a request (commands, the shell, tasks) acts for accounts with no session
to judge: their users carry no mark and keep their roles.
"""

import time

# Tribune's own record, set from allauth's public signals: which account of this session
# passed a second factor, and when. A session is flushed at sign-out and at a change of
# account, so the record never outlives the sign-in it belongs to.
SESSION_KEY = "tribune_second_factor"


def has_second_factor(user) -> bool:
    """The account has an authenticator (a TOTP app) to ask a code of."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import is_mfa_enabled

    return is_mfa_enabled(user, [Authenticator.Type.TOTP])


def record_second_factor(session, user, how: str) -> None:
    """This session's person just proved their second factor (`how` says by what)."""
    session[SESSION_KEY] = {"user": str(user.pk), "how": how, "at": int(time.time())}


def asserts_second_factor(extra_data) -> bool:
    """ProConnect's ID token says the agent passed a second factor at their identity
    provider (an `acr` or an `amr` of settings' lists): the admin does not ask again."""
    from django.conf import settings

    claims = (extra_data or {}).get("userinfo") or {}
    acr = claims.get("acr")
    amr = claims.get("amr") or []
    if isinstance(amr, str):
        amr = [amr]
    return acr in settings.TRIBUNE_PROCONNECT_MFA_ACR or bool(
        set(amr) & set(settings.TRIBUNE_PROCONNECT_MFA_AMR)
    )


def passed_second_factor(session, user) -> bool:
    record = session.get(SESSION_KEY) if session is not None else None
    return isinstance(record, dict) and record.get("user") == str(user.pk)


def judge_session(user, session):
    """Mark the user of a request or connection with what its session allows (no query:
    a citizen's mark changes nothing, since roles.has_role only withholds staff roles)."""
    if user is not None and user.is_authenticated:
        user.second_factor_passed = passed_second_factor(session, user)
    return user
