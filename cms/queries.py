"""Listings of the public site: a fixed number of queries per page, whatever the size;
and what every public page reads, remembered until an editor changes it."""

import logging
import time
import uuid
from dataclasses import dataclass, field

from django.core.cache import caches
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cms.cache import CacheUnavailable

logger = logging.getLogger(__name__)


def status_q(status: str, now) -> Q:
    if status == "upcoming":
        return Q(opens_at__gt=now)
    if status == "open":
        return Q(opens_at__lte=now) & (Q(closes_at__isnull=True) | Q(closes_at__gt=now))
    if status == "closed":
        return Q(closes_at__lte=now)
    raise ValueError(status)


def public(queryset, request=None):
    """queryset.public(), reading the view restrictions once per request instead of once
    per listing (a page shows several listings)."""
    if request is None:
        return queryset.public()
    private = getattr(request, "_tribune_private_q", None)
    if private is None:
        private = request._tribune_private_q = queryset.private_q()
    return queryset.exclude(private)


def consultations(model, *, parent, status=None, theme=None, now=None, request=None):
    """Live consultations under `parent`: open first (closing soonest), then upcoming
    (opening soonest), then closed (most recent first)."""
    now = now or timezone.now()
    queryset = (
        public(model.objects.child_of(parent).live(), request)
        .select_related("cover_image")
        .prefetch_related("tags")
    )
    if status:
        queryset = queryset.filter(status_q(status, now))
    if theme:
        queryset = queryset.filter(tags__slug=theme)
    rank = Case(
        When(status_q("open", now), then=Value(0)),
        When(status_q("upcoming", now), then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return queryset.annotate(status_rank=rank).order_by("status_rank", "-opens_at", "pk")


def themes(model, *, parent, request=None):
    """(slug, name) of the themes used by live consultations under `parent`."""
    through = model.tags.through
    consultations = public(model.objects.child_of(parent).live(), request)
    return list(
        through.objects.filter(content_object__in=consultations)
        .values_list("tag__slug", "tag__name")
        .distinct()
        .order_by("tag__name")
    )


@dataclass
class Listing:
    page: object
    errors: list = field(default_factory=list)


def paginate(queryset, number, per_page) -> Listing:
    """A page of results; a bad page number falls back to a real page with a message."""
    paginator = Paginator(queryset, per_page)
    errors = []
    try:
        page = paginator.page(number or 1)
    except PageNotAnInteger:
        page = paginator.page(1)
        errors.append(
            _("The page number “%(page)s” is not valid: here is the first page.") % {"page": number}
        )
    except EmptyPage:
        page = paginator.page(paginator.num_pages)
        errors.append(_("There is no page %(page)s: here is the last page.") % {"page": number})
    return Listing(page=page, errors=errors)


# --- What every public page reads and editors rarely change ---------------------------
#
# The site for a host, the page at a path, the site settings, the main menu and a page's
# view restrictions cost 12 queries on every page. Each process keeps them in memory
# under a version kept in the "published" cache (Redis in production, a file under var/
# without it); publishing, unpublishing, moving or deleting a page, or saving a site, a
# setting or a view restriction draws a new version (forget_on_changes), and every
# process drops its copy at its next request.

VERSION_KEY = "tribune:cms:published-version"
MAX_REMEMBERED = 5000  # paths that exist: bounded by the pages, but a guard all the same
# A change nobody signalled (SQL by hand, a new version lost while Redis was down) shows
# after this long at most.
REMEMBER_SECONDS = 300
_remembered: tuple[str | None, float, dict] = (None, 0.0, {})


def published_version() -> str | None:
    """The version in the shared cache; None when the cache cannot be reached (pages are
    then read from the database, as if nothing were remembered)."""
    shared = caches["published"]
    try:
        version = shared.get(VERSION_KEY)
        if version is None:
            # Lost (first start, cache restarted or cleared): a new one, so no process
            # keeps what it read before.
            shared.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
            version = shared.get(VERSION_KEY)
    except Exception as error:  # Redis down: serving pages matters more than remembering them
        if not isinstance(error, CacheUnavailable):  # (its circuit breaker said so once)
            logger.warning("published version unreadable: public pages read everything afresh")
        return None
    return version


def forget_published() -> None:
    try:
        caches["published"].set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    except Exception:
        logger.error(
            "could not draw a new published version: other processes may show the "
            "previous state for up to %s s",
            REMEMBER_SECONDS,
        )


def remembered(request, key, compute):
    """compute() once per published version in this process. The version is read once
    per request, and kept on `request` (or on a served page, which lives no longer);
    None is never remembered (a 404 path must not fill the memory)."""
    global _remembered
    version = getattr(request, "_tribune_published_version", None)
    if version is None:
        version = published_version() or ""
        if request is not None:
            request._tribune_published_version = version
    if not version:
        return compute()
    known_version, since, entries = _remembered
    now = time.monotonic()
    if known_version != version or now - since > REMEMBER_SECONDS:
        # Replaced whole, never cleared in place: a request still on the old version
        # writes into the old dict, not into the new one.
        entries = {}
        _remembered = (version, now, entries)
    if key in entries:
        return entries[key]
    value = compute()
    if value is not None:
        if len(entries) >= MAX_REMEMBERED:
            entries.clear()
        entries[key] = value
    return value


def site_for(request):
    """Site.find_for_request, remembered per host and port."""
    from wagtail.models import Site

    if not hasattr(request, "_wagtail_site"):
        key = ("site", request._get_raw_host(), request.get_port())
        request._wagtail_site = remembered(request, key, lambda: Site._find_for_request(request))
    return request._wagtail_site


def prime_route(request, path: str) -> None:
    """Give Wagtail's serve view the page at `path` in one query (the specific page)
    instead of two per level of the tree. The route itself comes from Wagtail's
    Page.route_for_request the first time, so pages keep their own routing."""
    from wagtail.models import Page
    from wagtail.url_routing import RouteResult

    site = site_for(request)
    if site is None:
        return

    def locate():
        result = Page.route_for_request(request, path)
        if result is None:
            return None
        page, args, kwargs = result
        return type(page), page.pk, tuple(args or ()), dict(kwargs or {})

    found = remembered(request, ("route", site.pk, translation.get_language(), path), locate)
    if found is None or getattr(request, "_wagtail_route_for_request", None) is not None:
        return  # no such page, or just routed by Wagtail itself
    model, pk, args, kwargs = found
    page = model.objects.filter(pk=pk, live=True).first()
    if page is not None:
        # Wagtail asks the page for its view restrictions without the request: the page
        # carries the version this request read, so it is not read twice.
        page._tribune_published_version = request._tribune_published_version
        request._wagtail_route_for_request = RouteResult(page, args, kwargs)


def main_menu(request) -> list:
    """Live public pages under the site root marked "show in menus", in tree order."""
    site = site_for(request)
    if site is None:
        return []
    return remembered(
        request,
        ("menu", site.pk),
        lambda: list(public(site.root_page.get_children().live().in_menu())),
    )


def view_restrictions(page, compute):
    """Page.get_view_restrictions() as a queryset whose results are already known: served
    pages iterate it without a query, the admin's .order_by() still asks the database."""
    from wagtail.models import PageViewRestriction

    found = remembered(page, ("restrictions", page.pk), lambda: list(compute()))
    restrictions = PageViewRestriction.objects.filter(pk__in=[r.pk for r in found])
    restrictions._result_cache = list(found)
    return restrictions


def _forget(**_signal):
    forget_published()


def _forget_changed_setting(created=False, **_signal):
    # A setting is created by the first page that reads it, with its defaults: nothing
    # remembered before can be out of date, and forgetting would cost every page again.
    if not created:
        forget_published()


def forget_when_changed(*models, receiver=_forget) -> None:
    """Draw a new published version whenever a row of these models is saved or deleted
    (for apps that remember reads of their own under the same version)."""
    from django.db.models.signals import post_delete, post_save

    # One connection per model, not one for every sender: a post_delete receiver for
    # all models would stop Django's fast deletes everywhere.
    for model in models:
        label = model._meta.label
        post_save.connect(receiver, sender=model, dispatch_uid=f"cms-forget-save-{label}")
        post_delete.connect(_forget, sender=model, dispatch_uid=f"cms-forget-delete-{label}")


def forget_on_changes() -> None:
    """Draw a new published version whenever something remembered above changes."""
    from django.apps import apps
    from django.db.models.signals import m2m_changed
    from wagtail.contrib.settings.models import BaseSiteSetting
    from wagtail.models import PageViewRestriction, Site, get_page_models
    from wagtail.signals import page_published, page_unpublished, post_page_move

    forget_when_changed(*get_page_models(), Site, PageViewRestriction)
    forget_when_changed(
        *[m for m in apps.get_models() if issubclass(m, BaseSiteSetting)],
        receiver=_forget_changed_setting,
    )
    m2m_changed.connect(
        _forget, sender=PageViewRestriction.groups.through, dispatch_uid="cms-forget-groups"
    )
    for signal in (page_published, page_unpublished, post_page_move):
        signal.connect(_forget, dispatch_uid=f"cms-forget-{id(signal)}")


def site_root_url() -> str:
    """The public address of the site, for links that leave it (e-mails): the default
    Wagtail Site's (hostname and port set in the admin, « Paramètres → Sites », and by
    `make run` to where it serves), else WAGTAILADMIN_BASE_URL."""
    from django.conf import settings
    from wagtail.models import Site

    site = Site.objects.filter(is_default_site=True).only("hostname", "port").first()
    if site is not None and site.hostname:
        return site.root_url
    return (getattr(settings, "WAGTAILADMIN_BASE_URL", "") or "").rstrip("/")


def absolute_url(path: str) -> str:
    return site_root_url() + path
