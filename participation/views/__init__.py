"""Thin views: parse the request, call a service, answer a redirect or a fragment."""

from django.core.exceptions import PermissionDenied, ValidationError

from participation.ratelimits import RateLimited

# What a service raises to refuse an action: the message is French and ready to show.
REFUSALS = (PermissionDenied, ValidationError, RateLimited)


def refusal_status(error) -> int:
    if isinstance(error, RateLimited):
        return 429
    if isinstance(error, PermissionDenied):
        return 403
    return 400


def refusal_text(error) -> str:
    return " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
