"""Thin views: parse the request, call a service, answer a redirect (or a fragment)."""

import logging
from urllib.parse import quote

from allauth.account.decorators import reauthentication_required
from allauth.account.internal.flows.reauthentication import did_recently_reauthenticate
from cookie_consent.cache import all_cookie_groups
from cookie_consent.models import CookieGroup
from cookie_consent.util import get_cookie_value_from_request
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from consent import forms
from consent.models import LegalDocument, LegalDocumentKind
from consent.registry import LegalBasis, registry
from consent.services import account, cookies, exports, records
from consent.services.limits import RateLimited

logger = logging.getLogger(__name__)

# In-place actions (docs/architecture.md): the protocol of static/js/enhance.js. The
# helpers live in cms.views, above consent in the layering, hence these few lines.
FRAGMENT_HEADER = "X-Tribune-Fragment"
ANNOUNCE_HEADER = "X-Tribune-Announce"


def wants_fragment(request) -> bool:
    return request.headers.get(FRAGMENT_HEADER) == "1"


def fragment(request, template_name, context, *, announce=""):
    response = TemplateResponse(request, template_name, context)
    if announce:
        response[ANNOUNCE_HEADER] = quote(str(announce))
    response["Vary"] = FRAGMENT_HEADER
    return response


def _next_url(request, default="/"):
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    # A path of this site only: a bare word would be taken by redirect() for a URL name.
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


# --- Cookies -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def cookie_settings(request):
    """« Gestion des cookies »: every group explained, a yes/no per optional group; the
    banner's three buttons post here too."""
    current = {
        varname: get_cookie_value_from_request(request, varname) is True
        for varname in all_cookie_groups()
    }
    form = forms.CookieChoiceForm(initial_choices=current)
    if request.method == "POST":
        # Not "action": a field of that name would hide the form's action in the DOM
        # (enhance.js reads form.action).
        choice = request.POST.get("choice")
        accepted = None
        if choice == "accept_all":
            accepted = set(all_cookie_groups())
        elif choice in ("refuse_all", "close"):
            accepted = set()
        else:
            form = forms.CookieChoiceForm(request.POST, initial_choices=current)
            if form.is_valid():
                accepted = form.accepted()
        if accepted is not None:
            message = _("Your cookie choices are saved.")
            if wants_fragment(request):
                response = fragment(
                    request,
                    "consent/includes/cookie_banner.html",
                    {"done": True},
                    announce=message,
                )
            else:
                messages.success(request, message)
                response = HttpResponseRedirect(_next_url(request))
            cookies.apply_choice(request, response, accepted)
            return response
    groups = CookieGroup.objects.prefetch_related("cookie_set").order_by("ordering", "pk")
    return TemplateResponse(
        request,
        "consent/cookies.html",
        {
            "form": form,
            "groups": groups,
            "next": _next_url(request, default=""),
            "max_age_days": settings.COOKIE_CONSENT_MAX_AGE // 86400,
            "hide_cookie_banner": True,
        },
    )


# --- Legal texts and the public registry ----------------------------------------------------


def _document_page(request, kind):
    documents = LegalDocument.objects.published().filter(kind=kind).order_by("-version")
    requested = request.GET.get("version", "")
    if requested:
        # ASCII digits only ("²" is a digit to isdigit, not to int), within an integer.
        if not (requested.isascii() and requested.isdigit() and len(requested) < 10):
            raise Http404
        document = get_object_or_404(documents, version=int(requested))
    else:
        document = documents.first()
    return document, documents


def terms(request):
    document, versions = _document_page(request, LegalDocumentKind.TERMS)
    return TemplateResponse(
        request,
        "consent/terms.html",
        {"document": document, "versions": versions},
    )


def personal_data(request):
    """« Données personnelles »: the privacy policy in force, then the table generated
    from the registry, so what the page says is what the code does."""
    document, versions = _document_page(request, LegalDocumentKind.PRIVACY)
    entries = list(registry.entries.values())  # in registration order: accounts first
    rules = list(registry.rules.values())
    return TemplateResponse(
        request,
        "consent/personal_data.html",
        {
            "document": document,
            "versions": versions,
            "entries": entries,
            "rules": rules,
            "public_interest": LegalBasis.PUBLIC_INTEREST.label,
            "consent_basis": LegalBasis.CONSENT.label,
            "cookie_groups": CookieGroup.objects.prefetch_related("cookie_set").order_by(
                "ordering", "pk"
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def accept_terms(request):
    terms = records.current_document(LegalDocumentKind.TERMS)
    if terms is None:
        return redirect(_next_url(request))
    form = forms.TermsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        records.accept_terms(
            request.user, terms=terms, privacy=records.current_document(LegalDocumentKind.PRIVACY)
        )
        messages.success(request, _("Thank you: you can take part again."))
        return redirect(_next_url(request))
    return TemplateResponse(
        request,
        "consent/accept_terms.html",
        {"form": form, "document": terms, "next": _next_url(request, default="")},
    )


# --- Privacy centre (« Mes données ») ---------------------------------------------------------


def _held_data(user):
    """What Tribune holds about the person, per kind of data: one count query each."""
    rows = []
    for entry in registry.entries.values():
        count = entry.rows_of([user.pk]).count()
        if count:
            rows.append({"entry": entry, "count": count})
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def privacy_centre(request):
    user = request.user
    name_form = forms.DisplayNameForm(instance=user, prefix="profile")
    notifications_form = forms.NotificationsForm(
        initial={"notifications": records.wants_notifications(user)}, prefix="notifications"
    )
    postcode_form = forms.PostcodeForm(instance=user, prefix="place")
    if request.method == "POST":
        section = request.POST.get("section")
        if section == "display_name":
            name_form = forms.DisplayNameForm(request.POST, instance=user, prefix="profile")
            if name_form.is_valid():
                account.update_display_name(user, user, name_form.cleaned_data["display_name"])
                messages.success(request, _("Your display name is updated."))
                return redirect("consent:privacy_centre")
            user.refresh_from_db(fields=["display_name"])
        elif section == "postcode":
            postcode_form = forms.PostcodeForm(request.POST, instance=user, prefix="place")
            if postcode_form.is_valid():
                account.update_declared_postcode(
                    user, user, postcode_form.cleaned_data["declared_postcode"]
                )
                messages.success(request, _("Your postcode is saved."))
                return redirect("consent:privacy_centre")
            user.refresh_from_db(fields=["declared_postcode"])
        elif section == "notifications":
            notifications_form = forms.NotificationsForm(request.POST, prefix="notifications")
            if notifications_form.is_valid():
                records.set_notifications(user, notifications_form.cleaned_data["notifications"])
                messages.success(request, _("Your e-mail preferences are saved."))
                return redirect("consent:privacy_centre")
    return TemplateResponse(
        request,
        "consent/privacy_centre.html",
        {
            "name_form": name_form,
            "notifications_form": notifications_form,
            "postcode_form": postcode_form,
            "held": _held_data(user),
            "exports": user.data_exports.all()[:5],
            "export_days": settings.TRIBUNE_RETENTION_DAYS["data_exports"],
            "consents": user.consent_records.all()[:20],
            "franceconnect_link": user.socialaccount_set.filter(provider="franceconnect").first(),
        },
    )


@login_required
@require_POST
def request_export(request):
    try:
        export = exports.request_export(request.user, request.user)
    except RateLimited as error:
        messages.error(request, str(error))
        return redirect("consent:privacy_centre")
    messages.success(
        request, _("Your data is ready: the download starts, and stays available for a few days.")
    )
    return redirect("consent:download_export", token=export.token)


@login_required
def download_export(request, token):
    export = exports.export_for_download(request.user, token)
    if export is None:
        # Someone else's export, an expired one or a made-up token: all look the same.
        logger.info("data export download refused for account %s", request.user.pk)
        raise Http404
    return FileResponse(
        export.file.open("rb"),
        as_attachment=True,
        filename=export.filename,
        content_type="application/zip",
    )


@login_required
@reauthentication_required(allow_get=False)
@require_http_methods(["GET", "POST"])
def delete_account(request):
    form = forms.DeletionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = request.user
        try:
            account.delete_account(
                request.user,
                user,
                choice=form.cleaned_data["choice"],
                recently_authenticated=did_recently_reauthenticate(request),
            )
        except PermissionDenied as error:
            messages.error(request, str(error))
            return redirect("consent:privacy_centre")
        logout(request)
        messages.success(
            request,
            _("Your account is deleted. A confirmation has been sent to your e-mail address."),
        )
        return redirect("/")
    return TemplateResponse(
        request,
        "consent/delete_account.html",
        {"form": form, "can_delete": not request.user.is_superuser},
    )
