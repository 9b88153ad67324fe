"""Personal data held by consent itself and by the apps below it or outside Tribune
(accounts, allauth, Django sessions, Wagtail), which cannot register themselves:
accounts must not import consent, and third-party apps know nothing of it.

Decisions for Wagtail's models, which only staff accounts fill:
- the editorial record (revisions, log entries, workflow states, page owners, images
  and documents uploaded) is kept, unlinked: it is the institution's record of what
  was published and by which process, not the person's data;
- working material of the person (profile and preferences, editing sessions, form
  drafts, API tokens, page subscriptions, their internal comments on drafts) is
  deleted with the account, as Wagtail itself would do.
"""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from consent import registry
from consent.registry import (
    LegalBasis,
    RetentionRule,
    delete,
    delete_rows,
    fields,
    older_than,
    unlink,
)
from consent.services.retention import (
    delete_inactive_accounts,
    delete_unverified_accounts,
    expired_django_sessions,
    expired_exports,
    inactive_accounts_due,
    stale_user_sessions,
    unverified_accounts_due,
    warn_inactive_accounts,
    warning_due,
)

ACCOUNT = _("Your account")
EDITORIAL = _("Editorial work (staff accounts only)")
TEAM = _("The institution's staff in charge of the platform")
TEAM_AND_HOST = _("The institution's staff in charge of the platform and its host")


def export_profile(entry, user):
    yield {
        "email": user.email,
        "display_name": user.display_name,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "declared_postcode": user.declared_postcode,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "roles": ", ".join(user.groups.order_by("name").values_list("name", flat=True)),
        "is_active": user.is_active,
    }


export_profile.columns = (
    "email",
    "display_name",
    "first_name",
    "last_name",
    "declared_postcode",
    "date_joined",
    "last_login",
    "roles",
    "is_active",
)


def close_and_unlink_records(entry, user_ids, choice):
    """Proofs of consent outlive the account (their own retention runs from their end),
    unlinked: only the salted hash in `subject` remains."""
    from django.utils import timezone

    model = entry.model_class
    model.objects.filter(user_id__in=user_ids, ended_at__isnull=True).update(
        ended_at=timezone.now()
    )
    return model.objects.filter(user_id__in=user_ids).update(user=None)


def delete_exports_batch(rows, now):
    from consent.services.exports import delete_export_files

    return delete_export_files(rows)


def delete_exports(entry, user_ids, choice):
    from consent.services.exports import delete_export_files

    return delete_export_files(entry.model_class.objects.filter(user_id__in=user_ids))


def unlock_and_unlink_pages(entry, user_ids, choice):
    pages = entry.model_class.objects
    count = pages.filter(locked_by_id__in=user_ids).update(
        locked=False, locked_by=None, locked_at=None
    )
    return count + pages.filter(owner_id__in=user_ids).update(owner=None)


def delete_wagtail_comments(entry, user_ids, choice):
    comments = entry.model_class.objects
    count = comments.filter(resolved_by_id__in=user_ids).update(resolved_by=None)
    deleted, _per_model = comments.filter(user_id__in=user_ids).delete()
    return count + deleted


# --- Accounts ---------------------------------------------------------------------------

registry.register_data(
    "accounts.User",
    user_fields=["pk"],
    category=ACCOUNT,
    purpose=_("Sign in, show your public display name next to your contributions, write to you."),
    legal_basis=LegalBasis.PUBLIC_INTEREST,
    recipients=TEAM_AND_HOST,
    retention=_(
        "Until you delete your account; unconfirmed accounts and accounts without any "
        "sign-in are deleted automatically."
    ),
    retention_rules=["accounts.unverified", "accounts.inactive"],
    export=export_profile,
    export_name="profil",
    erase=delete(),
    order=1000,  # last: everything that points at the account is handled first
)

registry.register_data(
    "account.EmailAddress",
    user_fields=["user"],
    category=ACCOUNT,
    purpose=_("Confirm your e-mail address and send you the messages you asked for."),
    legal_basis=LegalBasis.PUBLIC_INTEREST,
    recipients=TEAM_AND_HOST,
    retention=_("As long as the account."),
    export=fields("email", "verified", "primary"),
    export_name="adresses-email",
    erase=delete(),
)

registry.register_data(
    "mfa.Authenticator",
    user_fields=["user"],
    category=ACCOUNT,
    purpose=_("Two-step verification, when you turn it on."),
    legal_basis=LegalBasis.PUBLIC_INTEREST,
    recipients=_("Nobody: secrets stay encrypted in the database."),
    retention=_("As long as the account, or until you turn it off."),
    # Never the secret itself: an export travels by e-mail clients and downloads.
    export=fields("type", "created_at", "last_used_at"),
    export_name="double-authentification",
    label=_("two-step verification devices"),
    erase=delete(),
)

registry.register_data(
    "socialaccount.SocialAccount",
    user_fields=["user"],
    category=ACCOUNT,
    purpose=_(
        "Sign you in with FranceConnect (or ProConnect for the team) and, for polls open "
        "to verified residents only, know that your identity was verified. Received from "
        "FranceConnect: a pseudonymous identifier, your e-mail address, and your postcode "
        "when FranceConnect sends your address. Your name, birth date and birth place may "
        "be sent too: they are neither shown nor kept."
    ),
    legal_basis=LegalBasis.PUBLIC_INTEREST,
    recipients=TEAM_AND_HOST,
    retention=_("As long as the account, or until you unlink FranceConnect in « My data »."),
    export=fields("provider", "uid", "date_joined", "last_login", "extra_data"),
    export_name="connexions-franceconnect",
    label=_("FranceConnect and ProConnect links"),
    erase=delete(),
)

registry.register_data(
    "usersessions.UserSession",
    user_fields=["user"],
    category=_("Sessions"),
    purpose=_("Keep you signed in and let you see and end your sessions on other devices."),
    legal_basis=LegalBasis.PUBLIC_INTEREST,
    recipients=TEAM_AND_HOST,
    retention=_("Until you sign out, and at most the life of a session (14 days)."),
    retention_rules=["usersessions.stale"],
    export=fields("ip", "user_agent", "created_at", "last_seen_at"),
    export_name="sessions",
    label=_("sessions on your devices"),
    erase=delete(),
)

# --- Consent ------------------------------------------------------------------------------

registry.register_data(
    "consent.ConsentRecord",
    user_fields=["user"],
    category=_("Proof of your choices"),
    purpose=_(
        "Prove which terms, cookies and e-mails you accepted or refused, and when (GDPR art. 7.1)."
    ),
    legal_basis=LegalBasis.LEGAL_OBLIGATION,
    recipients=TEAM,
    retention=_("5 years after the choice ends; kept unlinked from a deleted account."),
    retention_rules=["consent.records"],
    export=fields("purpose", "version", "text_hash", "decision", "created_at", "ended_at"),
    export_name="consentements",
    erase=close_and_unlink_records,
)

registry.register_data(
    "consent.DataExport",
    user_fields=["user"],
    category=_("Your data exports"),
    purpose=_("Let you download a copy of your data."),
    legal_basis=LegalBasis.LEGAL_OBLIGATION,
    recipients=_("You only."),
    retention=_("7 days."),
    retention_rules=["consent.exports"],
    export=fields("created_at", "size"),
    export_name="exports-de-donnees",
    erase=delete_exports,
)

registry.register_data(
    "consent.InactivityNotice",
    user_fields=["user"],
    category=ACCOUNT,
    purpose=_("Remember that we warned you before deleting an inactive account."),
    legal_basis=LegalBasis.PUBLIC_INTEREST,
    recipients=TEAM,
    retention=_("Until your next sign-in makes it obsolete, or the account is deleted."),
    export=fields("days_before", "sent_at"),
    export_name="avertissements-inactivite",
    erase=delete(),
)

# --- Wagtail (staff accounts) ------------------------------------------------------------------

# Third-party models whose plural name has no French translation of its own.
LABELS = {
    "wagtailadmin.EditingSession": _("editing sessions"),
    "wagtailadmin.FormState": _("unsaved admin forms"),
    "wagtailcore.UploadedFile": _("files being uploaded"),
}

EDITORIAL_PURPOSE = _("Keep the record of what was written, reviewed and published.")
KEPT_UNLINKED = _("Kept as the institution's editorial record; unlinked when the account goes.")

for model, user_fields, name, columns in (
    (
        "wagtailcore.Revision",
        ["user"],
        "revisions",
        ("content_type__model", "object_id", "object_str", "created_at"),
    ),
    (
        "wagtailcore.PageLogEntry",
        ["user"],
        "journal-pages",
        ("action", "label", "timestamp"),
    ),
    (
        "wagtailcore.ModelLogEntry",
        ["user"],
        "journal-objets",
        ("action", "label", "timestamp"),
    ),
    (
        "wagtailcore.WorkflowState",
        ["requested_by"],
        "validations-demandees",
        ("base_content_type__model", "object_id", "status", "created_at"),
    ),
    (
        "wagtailcore.TaskState",
        ["finished_by"],
        "validations-traitees",
        ("status", "started_at", "finished_at", "comment"),
    ),
    (
        "wagtailimages.Image",
        ["uploaded_by_user"],
        "images-deposees",
        ("title", "created_at"),
    ),
    (
        "wagtaildocs.Document",
        ["uploaded_by_user"],
        "documents-deposes",
        ("title", "created_at"),
    ),
):
    registry.register_data(
        model,
        user_fields=user_fields,
        category=EDITORIAL,
        purpose=EDITORIAL_PURPOSE,
        legal_basis=LegalBasis.PUBLIC_INTEREST,
        recipients=TEAM,
        retention=KEPT_UNLINKED,
        export=fields(*columns),
        export_name=name,
        erase=unlink(),
    )

registry.register_data(
    "wagtailcore.Page",
    user_fields=["owner", "locked_by"],
    category=EDITORIAL,
    purpose=EDITORIAL_PURPOSE,
    legal_basis=LegalBasis.PUBLIC_INTEREST,
    recipients=TEAM,
    retention=KEPT_UNLINKED,
    export=fields("id", "title", "url_path", "first_published_at"),
    export_name="pages-creees",
    erase=unlock_and_unlink_pages,
)

registry.register_data(
    "wagtailcore.Comment",
    user_fields=["user", "resolved_by"],
    category=EDITORIAL,
    purpose=_("Comments between staff on drafts."),
    legal_basis=LegalBasis.PUBLIC_INTEREST,
    recipients=TEAM,
    retention=_("Deleted with the account (working notes, as Wagtail does)."),
    export=fields("page__title", "text", "created_at"),
    export_name="commentaires-editoriaux",
    erase=delete_wagtail_comments,
)

for model, name, columns, purpose in (
    (
        "wagtailcore.CommentReply",
        "reponses-editoriales",
        ("comment__page__title", "text", "created_at"),
        _("Comments between staff on drafts."),
    ),
    (
        "wagtailcore.PageSubscription",
        "abonnements-pages",
        ("page__title", "comment_notifications"),
        _("Notify staff of comments on the pages they follow."),
    ),
    (
        "wagtailusers.UserProfile",
        "preferences-administration",
        ("preferred_language", "current_time_zone", "theme"),
        _("Preferences of the administration interface."),
    ),
    (
        "wagtailadmin.EditingSession",
        "sessions-edition",
        ("content_type__model", "object_id", "last_seen_at"),
        _("Tell staff who else is editing the same page."),
    ),
    (
        "wagtailadmin.FormState",
        "brouillons-formulaires",
        ("content_type__model", "object_id", "last_updated_at"),
        _("Keep an unsaved form of the administration interface."),
    ),
    (
        "wagtailcore.APIToken",
        "jetons-api",
        ("name", "created", "last_used_at"),
        _("Access to the administration API."),
    ),
    (
        "wagtailcore.UploadedFile",
        "fichiers-en-cours-de-depot",
        ("uploaded_by_user_id",),
        _("Files being uploaded to the administration."),
    ),
):
    registry.register_data(
        model,
        user_fields=["uploaded_by_user" if model == "wagtailcore.UploadedFile" else "user"],
        category=EDITORIAL,
        purpose=purpose,
        legal_basis=LegalBasis.PUBLIC_INTEREST,
        recipients=TEAM,
        retention=_("Deleted with the account."),
        export=fields(*columns),
        export_name=name,
        erase=delete(),
        label=LABELS.get(model, ""),
    )

# --- Retention rules ----------------------------------------------------------------------------

registry.register_rule(
    RetentionRule(
        key="accounts.unverified",
        label=_("Accounts whose e-mail address was never confirmed"),
        model="accounts.User",
        setting="unverified_accounts",
        action="delete",
        due=unverified_accounts_due,
        apply=delete_unverified_accounts,
    )
)


def _inactivity_rules():
    from django.conf import settings

    steps = sorted(settings.TRIBUNE_INACTIVITY_WARNING_DAYS, reverse=True)
    for index, days_before in enumerate(steps):
        later = steps[index + 1] if index + 1 < len(steps) else None
        registry.register_rule(
            RetentionRule(
                key=f"accounts.inactive.warning-{days_before}",
                label=_("Warning e-mail %(days)s days before deleting an inactive account")
                % {"days": days_before},
                model="accounts.User",
                setting="inactive_accounts",
                action="warn",
                offset_days=days_before,
                due=warning_due(days_before, later),
                apply=warn_inactive_accounts(days_before),
                atomic=False,
            )
        )
    registry.register_rule(
        RetentionRule(
            key="accounts.inactive",
            label=_("Accounts without any sign-in (contributions kept, anonymised)"),
            model="accounts.User",
            setting="inactive_accounts",
            action="delete",
            due=inactive_accounts_due(min(steps) if steps else None),
            apply=delete_inactive_accounts,
        )
    )


_inactivity_rules()

registry.register_rule(
    RetentionRule(
        key="sessions.expired",
        label=_("Expired sign-in sessions"),
        model="sessions.Session",
        setting="sessions",
        action="delete",
        due=expired_django_sessions,
        apply=delete_rows,
    )
)

registry.register_rule(
    RetentionRule(
        key="usersessions.stale",
        label=_("Session list entries (with their IP address and browser)"),
        model="usersessions.UserSession",
        setting="sessions",
        action="delete",
        due=stale_user_sessions,
        apply=delete_rows,
    )
)

registry.register_rule(
    RetentionRule(
        key="consent.exports",
        label=_("Data-export files"),
        model="consent.DataExport",
        setting="data_exports",
        action="delete",
        due=expired_exports,
        apply=delete_exports_batch,
    )
)


registry.register_rule(
    RetentionRule(
        key="consent.records",
        label=_("Proofs of consent, counted from the end of the choice"),
        model="consent.ConsentRecord",
        setting="consent_records",
        action="delete",
        due=older_than("consent.ConsentRecord", "ended_at"),
        apply=delete_rows,
    )
)

registry.register_rule(
    RetentionRule(
        key="consent.purge_runs",
        label=_("Summaries of past purges"),
        model="consent.PurgeRun",
        setting="purge_runs",
        action="delete",
        due=older_than("consent.PurgeRun", "started_at", Q(finished_at__isnull=False)),
        apply=delete_rows,
    )
)
