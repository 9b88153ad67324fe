"""Listings of the public site: a fixed number of queries per page, whatever the size."""

from dataclasses import dataclass, field

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _


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
