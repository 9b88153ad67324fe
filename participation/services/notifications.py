"""What moderation tells people by e-mail: the author of a decision (with the charter
reason and the note), a banned person, and moderators when an alert is raised.

Services call `later(...)`: the e-mail is enqueued on commit and sent by the tasks
worker (participation.tasks), never inside the request. The functions below run in the
task; they never raise (consent.services.mail.send logs a failure)."""

from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts import roles
from cms import queries
from consent.services import mail
from participation.models import ModerationRules
from participation.models.moderation import patterns


def later(task, *args) -> None:
    """Enqueue an e-mail task once the current transaction commits (at once outside one)."""
    from django.db import transaction

    transaction.on_commit(lambda: task.enqueue(*args))


def _site_url(path: str) -> str:
    # The Wagtail Site's address (what the operator set, or where `make run` serves),
    # not a fixed base URL that points at a port nobody serves.
    return queries.absolute_url(path)


def decision_made(decision) -> None:
    author = decision.author
    if author is None or not author.email:
        return
    mail.send(
        "participation/moderation/email/decision",
        to=author.email,
        context={
            "decision": decision,
            "consultation": decision.comment.consultation.title,
            "decisions_url": _site_url(reverse("participation:my_moderation")),
        },
    )


def banned(ban) -> None:
    if not ban.user.email:
        return
    mail.send("participation/moderation/email/banned", to=ban.user.email, context={"ban": ban})


def alert_recipients() -> list[str]:
    listed = patterns(ModerationRules.load().alert_emails)
    if listed:
        return listed
    return list(
        get_user_model()
        .objects.filter(groups__name=roles.MODERATORS, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )


def alert_raised(alert) -> None:
    context = {
        "alert": alert,
        "consultation": alert.consultation.title,
        "panel_url": _site_url(reverse("moderation_alerts")),
    }
    for address in alert_recipients():
        mail.send("participation/moderation/email/alert", to=address, context=context)
