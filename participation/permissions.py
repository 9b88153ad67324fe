"""Who may do what on a consultation. One rule per action, named by a constant.

A rule returns None when the action is allowed, or the reason it is not, in French,
ready to show next to the form ("Connectez-vous pour participer."). Services call
`require`; templates call `reason` to explain a disabled form.
"""

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts import identity, roles
from consent.services import records as consent_records
from participation.models import State

Rule = Callable[[object, object], str | None]
RULES: dict[str, Rule] = {}


def rule(name: str):
    """Register the rule for one action."""

    def register(function: Rule) -> Rule:
        RULES[name] = function
        return function

    return register


def reason(user, perm: str, obj) -> str | None:
    return RULES[perm](user, obj)


def can(user, perm: str, obj) -> bool:
    return reason(user, perm, obj) is None


def require(user, perm: str, obj) -> None:
    if (why := reason(user, perm, obj)) is not None:
        raise PermissionDenied(why)


def participant_reason(user, consultation) -> str | None:
    """Why this person cannot take part in this consultation right now, if they cannot."""
    if not user.is_authenticated:
        return _("Sign in to take part.")
    if not user.has_verified_email:
        return _("Confirm your e-mail address to take part: follow the link we sent you.")
    if consent_records.needs_terms_acceptance(user):
        return _("The terms of use have changed: accept the new version to take part again.")
    if why := ban_reason_for(user):  # bans apply to every way of taking part
        return why
    status = consultation.status
    if status == "upcoming":
        return _("This consultation opens on %(date)s.") % {
            "date": formats.date_format(consultation.opens_at, "j F Y")
        }
    if status == "closed":
        return _("This consultation is closed.")
    return verified_reason(user, consultation)


# --- Polls ---------------------------------------------------------------------------------

VOTE = "participation.vote"
CHANGE_BALLOT = "participation.change_ballot"


@rule(VOTE)
def vote_reason(user, poll) -> str | None:
    """Why this person cannot vote in this poll now. Every verified account may vote,
    staff included: agents and the communication team are residents too."""
    if not poll.is_published:
        return _("This poll is not open.")
    status = poll.status
    if status == "closed":
        return _("This poll closed on %(date)s.") % {
            "date": formats.date_format(poll.effective_closes_at, "j F Y")
        }
    if why := participant_reason(user, poll.consultation):
        return why
    return verified_reason(user, poll)


VOTE_AS_VERIFIED_RESIDENT = "participation.vote_as_verified_resident"


def verified_reason(user, reserved) -> str | None:
    """Why a consultation or a poll reserved to verified identities (and, optionally, to
    residents of some places) refuses this person, with the way to qualify."""
    if not reserved.verified_only:
        return None
    if not identity.is_verified(user):
        return _(
            "Taking part here is reserved to people whose identity is verified: sign in with "
            "FranceConnect, or link FranceConnect to your account in « My data »."
        )
    codes = reserved.place_codes
    if codes and not identity.places(user) & codes:
        return _(
            "Taking part here is reserved to the residents of %(places)s, according to the address "
            "FranceConnect sends or, when it sends none, the postcode you declared in « My data »."
        ) % {"places": ", ".join(sorted(codes))}
    return None


@rule(VOTE_AS_VERIFIED_RESIDENT)
def vote_as_verified_resident_reason(user, poll) -> str | None:
    """The vote in a poll reserved to verified residents (the same rule as VOTE: named
    apart so the matrix shows who passes the identity check)."""
    return vote_reason(user, poll)


@rule(CHANGE_BALLOT)
def change_ballot_reason(user, poll) -> str | None:
    if (why := vote_reason(user, poll)) is not None:
        return why
    if not poll.allow_change:
        return _("You have already voted in this poll, and it does not allow changing a ballot.")
    return None


# Rights in the Wagtail admin: the communication team and administrators edit polls
# and read their free-text answers; moderators do not see polls at all.
POLL_ADMIN_PERMISSIONS = {
    roles.COMMUNICATION: ["add_poll", "change_poll", "delete_poll", "view_poll"],
    roles.ADMINISTRATORS: ["add_poll", "change_poll", "delete_poll", "view_poll"],
}


def grant_poll_admin_permissions(apps=None) -> None:
    """Idempotent; called by the migration, load_demo and tests (a flushed test database
    loses what migrations wrote)."""
    if apps is None:
        from django.apps import apps
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    groups = roles.create_groups(apps)
    poll_type, _created = ContentType.objects.get_or_create(app_label="participation", model="poll")
    for role, codenames in POLL_ADMIN_PERMISSIONS.items():
        for codename in codenames:
            permission, _created = Permission.objects.get_or_create(
                content_type=poll_type,
                codename=codename,
                defaults={"name": f"Can {codename.replace('_', ' ')}"},
            )
            groups[role].permissions.add(permission)


# --- Comment threads -----------------------------------------------------------------

COMMENT = "participation.comment"
REPLY = "participation.reply"
ANSWER_OFFICIALLY = "participation.answer_officially"
EDIT_COMMENT = "participation.edit_comment"
DELETE_COMMENT = "participation.delete_comment"
SUPPORT_COMMENT = "participation.support_comment"
REPORT_COMMENT = "participation.report_comment"
SEE_COMMENT_HISTORY = "participation.see_comment_history"

# Who answers in the name of the institution: Agents and Équipe communication.
OFFICIAL_ROLES = (roles.AGENTS, roles.COMMUNICATION)
MODERATION_ROLES = (roles.MODERATORS, roles.ADMINISTRATORS)


def _comments_closed(consultation) -> str | None:
    if not consultation.comments_enabled:
        return _("Comments are turned off on this consultation.")
    return None


def _is_author(user, comment) -> bool:
    return user.is_authenticated and comment.author_id == user.pk


def _period_reason(consultation) -> str | None:
    """Said first, even to visitors: signing in would not help."""
    status = consultation.status
    if status == "upcoming":
        return _("This consultation opens on %(date)s.") % {
            "date": formats.date_format(consultation.opens_at, "j F Y")
        }
    if status == "closed":
        return _("This consultation is closed.")
    return None


def _participant_reason(user, consultation) -> str | None:
    """participant_reason, remembered on the consultation object for this person: a
    thread page asks it for each of its comments and each action."""
    memo = consultation.__dict__.setdefault("_tribune_participant_reasons", {})
    key = (user.pk if user.is_authenticated else None, consultation.status, consultation.opens_at)
    if key not in memo:
        memo[key] = participant_reason(user, consultation)
    return memo[key]


@rule(COMMENT)
def comment_reason(user, consultation) -> str | None:
    return (
        _comments_closed(consultation)
        or _period_reason(consultation)
        or frozen_reason(consultation)
        or _participant_reason(user, consultation)
    )


@rule(REPLY)
def reply_reason(user, comment) -> str | None:
    if why := comment_reason(user, comment.consultation):
        return why
    if comment.state != State.PUBLISHED:
        return _("This comment can no longer receive replies.")
    return None


@rule(ANSWER_OFFICIALLY)
def answer_officially_reason(user, comment) -> str | None:
    """Official answers are replies; the institution may still answer once the
    consultation has closed (it often does, with the outcome). Moderators answer too
    (from the moderation queue), on the consultations they moderate."""
    if not user.is_authenticated:
        return _("Sign in to take part.")
    if not roles.has_role(user, *OFFICIAL_ROLES):
        if not is_moderator(user):
            return _("Only agents, the communication team and moderators answer officially.")
        if why := moderate_consultation_reason(user, comment.consultation_id):
            return why
    consultation = comment.consultation
    if why := _comments_closed(consultation):
        return why
    if consultation.status == "upcoming":
        return participant_reason(user, consultation)
    if comment.state != State.PUBLISHED:
        return _("This comment can no longer receive replies.")
    return None


def edit_deadline(comment):
    return comment.created_at + timedelta(minutes=settings.TRIBUNE_COMMENT_EDIT_MINUTES)


@rule(EDIT_COMMENT)
def edit_reason(user, comment) -> str | None:
    if not _is_author(user, comment):
        return _("Only its author can edit a comment.")
    if comment.state not in (State.PUBLISHED, State.PENDING):
        return _("This comment can no longer be edited.")
    if timezone.now() >= edit_deadline(comment):
        return _(
            "A comment can only be edited during the %(minutes)s minutes after it is posted."
        ) % {"minutes": settings.TRIBUNE_COMMENT_EDIT_MINUTES}
    if not comment.is_official and (why := _participant_reason(user, comment.consultation)):
        return why
    return None


@rule(DELETE_COMMENT)
def delete_reason(user, comment) -> str | None:
    if not _is_author(user, comment):
        return _("Only its author can delete a comment.")
    if comment.state == State.DELETED:
        return _("This comment has already been deleted.")
    return None


@rule(SUPPORT_COMMENT)
def support_reason(user, comment) -> str | None:
    if why := frozen_reason(comment.consultation) or _participant_reason(
        user, comment.consultation
    ):
        return why
    if comment.state != State.PUBLISHED:
        return _("Only published comments can be supported.")
    if _is_author(user, comment):
        return _("You cannot support your own comment.")
    return None


@rule(REPORT_COMMENT)
def report_reason(user, comment) -> str | None:
    """Reporting stays possible after the consultation closes: abuse outlives it."""
    if not user.is_authenticated:
        return _("Sign in to report a comment.")
    if not user.has_verified_email:
        return _("Confirm your e-mail address to take part: follow the link we sent you.")
    if why := ban_reason_for(user):
        return why
    if _is_author(user, comment):
        return _("You cannot report your own comment.")
    if comment.state != State.PUBLISHED:
        return _("This comment is no longer published.")
    return None


@rule(SEE_COMMENT_HISTORY)
def history_reason(user, comment) -> str | None:
    if not roles.has_role(user, *MODERATION_ROLES):
        return _("Only moderators see the previous versions of a comment.")
    return None


# --- Live updates ----------------------------------------------------------------------
WATCH_MODERATION = "participation.watch_moderation"


@rule(WATCH_MODERATION)
def watch_moderation_reason(user, _obj=None) -> str | None:
    """The moderators' live stream (pending comments, reports, alerts)."""
    if not roles.has_role(user, *MODERATION_ROLES):
        return _("Only moderators follow the moderation stream.")
    return None


# --- Moderation ------------------------------------------------------------------------
# Moderators and administrators moderate; a moderator given some consultations
# (ModeratorScope rows) moderates only those. Citizens, agents and the communication
# team cannot, unless given the Modérateurs role.

MODERATE = "participation.moderate"
DECIDE_APPEAL = "participation.decide_appeal"
BAN = "participation.ban"
CRISIS = "participation.crisis"
APPEAL = "participation.appeal"
SEE_BANS = "participation.see_bans"
HANDLE_ALERT = "participation.handle_alert"


def moderated_consultation_ids(user) -> set[int] | None:
    """The consultations this moderator is limited to, or None for all of them.
    Remembered on the user object: a queue page asks for every row."""
    if not hasattr(user, "_tribune_scope"):
        from participation.models import ModeratorScope

        ids = set(
            ModeratorScope.objects.filter(moderator_id=user.pk).values_list(
                "consultation_id", flat=True
            )
        )
        user._tribune_scope = ids or None
    return user._tribune_scope


def moderation_scope(user) -> set[int] | None:
    """The consultations this moderator may act on, or None for all of them."""
    if roles.has_role(user, roles.ADMINISTRATORS):
        return None
    return moderated_consultation_ids(user)


def is_moderator(user) -> bool:
    return roles.has_role(user, *MODERATION_ROLES)


def moderate_consultation_reason(user, consultation_id: int) -> str | None:
    if not user.is_authenticated or not is_moderator(user):
        return _("Only moderators can moderate comments.")
    scope = moderation_scope(user)
    if scope is not None and consultation_id not in scope:
        return _("You do not moderate this consultation.")
    return None


@rule(MODERATE)
def moderate_reason(user, comment) -> str | None:
    return moderate_consultation_reason(user, comment.consultation_id)


@rule(CRISIS)
def crisis_reason(user, consultation) -> str | None:
    return moderate_consultation_reason(user, consultation.pk)


def may_ban_reason(user) -> str | None:
    """Banning (and lifting a ban) is site-wide: only moderators of every consultation
    and administrators. Asked once per page by the list of bans."""
    if not user.is_authenticated or not is_moderator(user):
        return _("Only moderators can ban a person.")
    if not roles.has_role(user, roles.ADMINISTRATORS) and moderated_consultation_ids(user):
        return _("Only moderators of every consultation can ban a person.")
    return None


@rule(BAN)
def ban_reason(user, target) -> str | None:
    if why := may_ban_reason(user):
        return why
    if target.pk == user.pk:
        return _("You cannot ban yourself.")
    if roles.has_role(target, *roles.STAFF) or target.is_superuser:
        return _("Staff members cannot be banned: withdraw their role first.")
    return None


@rule(SEE_BANS)
def see_bans_reason(user, _obj=None) -> str | None:
    """Every moderator reads the list of bans (a ban keeps a person out of every
    consultation, scoped ones included); only those who may ban lift one."""
    if not user.is_authenticated or not is_moderator(user):
        return _("Only moderators see the bans.")
    return None


@rule(HANDLE_ALERT)
def handle_alert_reason(user, alert) -> str | None:
    return moderate_consultation_reason(user, alert.consultation_id)


@rule(DECIDE_APPEAL)
def decide_appeal_reason(user, appeal) -> str | None:
    if why := moderate_consultation_reason(user, appeal.comment.consultation_id):
        return why
    if appeal.decision.moderator_id == user.pk:
        return _("A different moderator must decide on an appeal against your own decision.")
    return None


@rule(APPEAL)
def appeal_reason(user, decision) -> str | None:
    if not user.is_authenticated or decision.author_id != user.pk:
        return _("Only the author of the comment can contest this decision.")
    return None


def ban_reason_for(user) -> str | None:
    """Why a banned person cannot take part, or None. Remembered on the user object."""
    if not user.is_authenticated:
        return None
    if not hasattr(user, "_tribune_ban"):
        from participation.models import Ban

        user._tribune_ban = Ban.objects.active().filter(user_id=user.pk).order_by("-id").first()
    ban = user._tribune_ban
    if ban is None:
        return None
    if ban.ends_at is None:
        return _("Your account has been banned from taking part by the moderators.")
    return _("Your account is banned from taking part until %(date)s.") % {
        "date": formats.date_format(timezone.localtime(ban.ends_at), "j F Y, H:i")
    }


def frozen_reason(consultation) -> str | None:
    crisis = consultation.crisis
    if crisis is not None and crisis.frozen:
        return crisis.freeze_message or _("This consultation is frozen: it is read-only for now.")


# --- Community management -------------------------------------------------------------

SEE_FIGURES = "participation.see_figures"
SEE_MODERATION_FIGURES = "participation.see_moderation_figures"
EXPORT_CONTRIBUTIONS = "participation.export_contributions"
PUBLISH_RESULTS = "participation.publish_results"
GIVE_FEEDBACK = "participation.give_feedback"
FOLLOW = "participation.follow"

# The communication team and administrators read every figure; moderators read only
# the moderation figures (published / held / rejected); citizens and agents none.
FIGURES_ROLES = (roles.COMMUNICATION, roles.ADMINISTRATORS)
MODERATION_FIGURES_ROLES = (roles.MODERATORS, roles.COMMUNICATION, roles.ADMINISTRATORS)


@rule(SEE_FIGURES)
def see_figures_reason(user, consultation=None) -> str | None:
    if not roles.has_role(user, *FIGURES_ROLES):
        return _("Only the communication team and administrators see the participation figures.")
    return None


@rule(SEE_MODERATION_FIGURES)
def see_moderation_figures_reason(user, consultation=None) -> str | None:
    if not roles.has_role(user, *MODERATION_FIGURES_ROLES):
        return _("Only moderators, the communication team and administrators see these figures.")
    return None


@rule(EXPORT_CONTRIBUTIONS)
def export_reason(user, consultation) -> str | None:
    if not roles.has_role(user, *FIGURES_ROLES):
        return _("Only the communication team and administrators export contributions.")
    return None


@rule(PUBLISH_RESULTS)
def publish_results_reason(user, consultation) -> str | None:
    if not roles.has_role(user, *FIGURES_ROLES):
        return _("Only the communication team and administrators publish results.")
    return None


def has_participated(user, consultation) -> bool:
    """A comment, a support or a ballot in this consultation (three indexed lookups)."""
    from participation.models import Ballot, Comment, Support

    if not user.is_authenticated:
        return False
    return (
        Comment.objects.filter(consultation=consultation, author=user).exists()
        or Ballot.objects.filter(poll__consultation=consultation, voter=user).exists()
        or Support.objects.filter(comment__consultation=consultation, user=user).exists()
    )


@rule(GIVE_FEEDBACK)
def feedback_reason(user, consultation) -> str | None:
    if not user.is_authenticated:
        return _("Sign in to take part.")
    if not user.has_verified_email:
        return _("Confirm your e-mail address to take part: follow the link we sent you.")
    if not has_participated(user, consultation):
        return _("This question is for people who took part in the consultation.")
    return None


@rule(FOLLOW)
def follow_reason(user, consultation) -> str | None:
    if not user.is_authenticated:
        return _("Sign in to follow this consultation.")
    if not user.has_verified_email:
        return _("Confirm your e-mail address to take part: follow the link we sent you.")
    if not _is_public(consultation):
        return _("This consultation is not public: it cannot be followed.")
    return None


READ_NOTIFICATION = "participation.read_notification"
STOP_FOLLOW = "participation.stop_follow"
FOLLOW_THREAD = "participation.follow_thread"


@rule(READ_NOTIFICATION)
def read_notification_reason(user, notification) -> str | None:
    """Only the recipient reads or marks a notification (someone else's id is refused
    with the same words as a missing one: nothing tells it exists)."""
    if not user.is_authenticated or notification is None or notification.recipient_id != user.pk:
        return _("This notification does not exist or is not yours.")
    return None


@rule(STOP_FOLLOW)
def stop_follow_reason(user, follow) -> str | None:
    if not user.is_authenticated or follow is None or follow.user_id != user.pk:
        return _("This follow does not exist or is not yours.")
    return None


@rule(FOLLOW_THREAD)
def follow_thread_reason(user, comment) -> str | None:
    if why := follow_reason(user, comment.consultation):
        return why
    if comment.state != State.PUBLISHED:
        return _("This thread cannot be followed.")
    return None


def _is_public(consultation) -> bool:
    """Live and without view restriction on it or above it (a private or draft page is
    never followed: its notifications would reveal it). The restrictions are remembered
    per page (cms.models.RememberedRestrictions): no query on the consultation page."""
    return bool(consultation.live) and not consultation.get_view_restrictions()
