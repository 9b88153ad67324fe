"""The admin of personal data, for administrators (the DPO): consent records and purge
runs to read and export, legal texts to version, daily audience figures."""

from cookie_consent.models import Cookie
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from accounts import roles
from consent.models import AudienceDay, ConsentRecord, LegalDocument, PurgeRun


class AdministratorsPolicy(ModelPermissionPolicy):
    """Administrators only, and only the actions listed (records are never edited)."""

    def __init__(self, model, actions):
        super().__init__(model)
        self.actions = set(actions)

    def user_has_permission(self, user, action):
        return action in self.actions and roles.has_role(user, roles.ADMINISTRATORS)

    def users_with_any_permission(self, actions):
        from django.contrib.auth import get_user_model
        from django.db.models import Q

        if not self.actions & set(actions):
            return get_user_model().objects.none()
        return (
            get_user_model()
            .objects.filter(
                Q(is_superuser=True) | Q(groups__name=roles.ADMINISTRATORS), is_active=True
            )
            .distinct()
        )


for model, actions in (
    (ConsentRecord, ["view"]),
    (PurgeRun, ["view"]),
    (AudienceDay, ["view"]),
    (LegalDocument, ["view", "add", "change"]),
    (Cookie, ["view", "add", "change", "delete"]),
):
    register_permission_policy(model, AdministratorsPolicy(model, actions))


class ReadOnlyViewSet(ModelViewSet):
    inspect_view_enabled = True
    copy_view_enabled = False
    # Forms Wagtail builds but nobody may open (the policy grants "view" only).
    exclude_form_fields = []


class ConsentRecordViewSet(ReadOnlyViewSet):
    url_prefix = "consent/consentrecord"
    url_namespace = "consent_consentrecord"
    model = ConsentRecord
    icon = "tick-inverse"
    menu_label = _("Consent records")
    list_display = ["created_at", "who", "purpose", "version", "decision", "ended_at"]
    list_filter = ["purpose", "decision", "created_at"]
    list_export = [
        "created_at",
        "user_id",
        "subject",
        "purpose",
        "version",
        "text_hash",
        "decision",
        "ended_at",
    ]
    export_filename = "preuves-de-consentement"
    search_fields = ["subject", "version"]
    inspect_view_fields = [
        "created_at",
        "user",
        "subject",
        "purpose",
        "version",
        "text_hash",
        "decision",
        "ended_at",
    ]
    ordering = ["-created_at"]


class PurgeRunViewSet(ReadOnlyViewSet):
    url_prefix = "consent/purgerun"
    url_namespace = "consent_purgerun"
    model = PurgeRun
    icon = "bin"
    menu_label = _("Purge runs")
    list_display = ["started_at", "status", "dry_run", "total", "trigger", "finished_at"]
    list_filter = ["status", "dry_run"]
    list_export = ["started_at", "finished_at", "status", "dry_run", "total", "results"]
    export_filename = "purges"
    inspect_view_fields = ["started_at", "finished_at", "status", "dry_run", "total", "results"]


class AudienceViewSet(ReadOnlyViewSet):
    url_prefix = "consent/audienceday"
    url_namespace = "consent_audienceday"
    model = AudienceDay
    icon = "view"
    menu_label = _("Audience")
    list_display = ["day", "new_visitors", "returning_visitors"]
    list_export = ["day", "new_visitors", "returning_visitors"]
    export_filename = "audience"


class LegalDocumentForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and LegalDocument.objects.get(pk=self.instance.pk).is_in_force:
            raise ValidationError(
                _("This version is in force and cannot be changed: add a new version instead.")
            )
        kind, version = cleaned.get("kind"), cleaned.get("version")
        if kind and version:
            latest = LegalDocument.objects.filter(kind=kind).exclude(pk=self.instance.pk)
            highest = latest.order_by("-version").values_list("version", flat=True).first()
            if highest is not None and version <= highest:
                raise ValidationError(
                    {"version": _("The version must be greater than %(v)s.") % {"v": highest}}
                )
        return cleaned


class LegalDocumentViewSet(ModelViewSet):
    url_prefix = "consent/legaldocument"
    url_namespace = "consent_legaldocument"
    model = LegalDocument
    icon = "doc-full"
    menu_label = _("Legal texts")
    form_fields = ["kind", "version", "title", "changes", "body", "published_at"]
    list_display = ["__str__", "title", "published_at"]
    list_filter = ["kind"]
    inspect_view_enabled = True
    copy_view_enabled = False

    def get_form_class(self, for_update=False):
        base = super().get_form_class(for_update)
        return type("LegalDocumentAdminForm", (LegalDocumentForm, base), {})


class CookieViewSet(ModelViewSet):
    """The cookies the site declares. Adding one to a group changes the group's version:
    everyone is asked again (django-cookie-consent's rule)."""

    model = Cookie
    url_prefix = "consent/cookie"
    url_namespace = "consent_cookie"
    icon = "cog"
    menu_label = _("Cookies")
    form_fields = ["cookiegroup", "name", "description", "path", "domain"]
    list_display = ["name", "cookiegroup", "description", "created"]
    list_filter = ["cookiegroup"]
    copy_view_enabled = False


class PersonalDataGroup(ViewSetGroup):
    menu_label = _("Personal data")
    menu_icon = "lock"
    menu_order = 900
    items = (
        ConsentRecordViewSet,
        LegalDocumentViewSet,
        CookieViewSet,
        PurgeRunViewSet,
        AudienceViewSet,
    )
