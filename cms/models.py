from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import StreamField
from wagtail.models import AbstractGroupApprovalTask, Page
from wagtail.search import index

from cms import queries
from cms.blocks import BodyBlock
from cms.forms import ConsultationFilterForm
from cms.search import STEMS_FIELD, StemmedSearch
from cms.validators import validate_primary_colour


class RememberedRestrictions:
    """Page mixin: Wagtail asks for a page's view restrictions on every view of it (two
    queries); they are remembered until a page or a restriction changes."""

    def get_view_restrictions(self):
        return queries.view_restrictions(self, super().get_view_restrictions)


class RememberedSetting(BaseSiteSetting):
    """Site settings read on every page, remembered until one is saved."""

    class Meta:
        abstract = True

    @classmethod
    def for_request(cls, request):
        attr_name = cls.get_cache_attr_name()
        if not hasattr(request, attr_name):
            site = queries.site_for(request)
            key = ("setting", cls._meta.label, site.pk if site else None)
            found = queries.remembered(request, key, lambda: cls.remember(site))
            setattr(request, attr_name, found)
        return getattr(request, attr_name)

    @classmethod
    def remember(cls, site):
        return cls.for_site(site)


class Status(models.TextChoices):
    UPCOMING = "upcoming", _("Upcoming")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class ParticipationPeriod(models.Model):
    """A page that opens and closes for participation; its status follows the dates.

    Lives in cms so listings can filter on it without cms importing participation.
    """

    opens_at = models.DateTimeField(_("opens at"), db_index=True)
    closes_at = models.DateTimeField(
        _("closes at"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_("Leave empty for a consultation without an end date."),
    )

    class Meta:
        abstract = True

    def status_at(self, when) -> Status:
        if when < self.opens_at:
            return Status.UPCOMING
        if self.closes_at is not None and when >= self.closes_at:
            return Status.CLOSED
        return Status.OPEN

    @property
    def status(self) -> Status:
        return self.status_at(timezone.now())

    @property
    def is_open(self) -> bool:
        return self.status == Status.OPEN

    def clean(self):
        super().clean()
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError(
                {"closes_at": _("The closing date must come after the opening date.")}
            )


class HomePage(StemmedSearch, RememberedRestrictions, Page):
    intro = models.TextField(_("introduction"), blank=True)
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("body"))

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("intro"), STEMS_FIELD]

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["cms.ConsultationIndexPage", "cms.NewsIndexPage", "cms.StandardPage"]

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        sections = list(
            queries.public(
                self.get_children().live().type(ConsultationIndexPage, NewsIndexPage), request
            ).specific()
        )
        consultation_index = next(
            (p for p in sections if isinstance(p, ConsultationIndexPage)), None
        )
        news_index = next((p for p in sections if isinstance(p, NewsIndexPage)), None)
        context["consultation_index"] = consultation_index
        context["news_index"] = news_index
        if consultation_index:
            for status, size in ((Status.OPEN, 6), (Status.UPCOMING, 3), (Status.CLOSED, 3)):
                context[f"{status}_consultations"] = consultation_index.consultations(
                    status, request=request
                )[:size]
        if news_index:
            context["latest_news"] = news_index.news(request)[:3]
        return context


class ConsultationIndexPage(StemmedSearch, RememberedRestrictions, Page):
    intro = models.TextField(_("introduction"), blank=True)

    # By string, like subpage_types: cms never imports participation (DESIGN.md).
    listing_model = "participation.ConsultationPage"

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    search_fields = [*Page.search_fields, index.SearchField("intro"), STEMS_FIELD]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["participation.ConsultationPage"]

    class Meta:
        verbose_name = _("consultation index")

    def consultations(self, status=None, theme=None, request=None):
        model = apps.get_model(self.listing_model)
        return queries.consultations(
            model, parent=self, status=status, theme=theme, request=request
        )

    def themes(self, request=None):
        return queries.themes(apps.get_model(self.listing_model), parent=self, request=request)

    def get_context(self, request, *args, **kwargs):
        from django.conf import settings

        context = super().get_context(request, *args, **kwargs)
        themes = self.themes(request)
        form = ConsultationFilterForm(request.GET, themes=themes)
        filters = form.valid_filters()
        listing = queries.paginate(
            self.consultations(**filters, request=request),
            request.GET.get("page"),
            settings.TRIBUNE_CONSULTATIONS_PER_PAGE,
        )
        context.update(
            form=form,
            filters=filters,
            themes=themes,
            listing=listing,
            filter_errors=form.filter_errors() + listing.errors,
            statuses=Status,
        )
        return context


class StandardPage(StemmedSearch, RememberedRestrictions, Page):
    """Legal and editorial pages: mentions légales, accessibilité, charte…"""

    summary = models.TextField(_("summary"), blank=True)
    body = StreamField(BodyBlock(), verbose_name=_("body"))

    content_panels = [*Page.content_panels, FieldPanel("summary"), FieldPanel("body")]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("body"),
        STEMS_FIELD,
    ]
    parent_page_types = ["cms.HomePage", "cms.StandardPage"]
    subpage_types = ["cms.StandardPage"]

    class Meta:
        verbose_name = _("standard page")


class NewsIndexPage(StemmedSearch, RememberedRestrictions, Page):
    intro = models.TextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    search_fields = [*Page.search_fields, index.SearchField("intro"), STEMS_FIELD]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.NewsPage"]

    class Meta:
        verbose_name = _("news index")

    def news(self, request=None):
        return (
            queries.public(NewsPage.objects.child_of(self).live(), request)
            .select_related("image")
            .order_by("-date", "-pk")
        )

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        listing = queries.paginate(self.news(request), request.GET.get("page"), 10)
        context.update(listing=listing, filter_errors=listing.errors)
        return context


class NewsPage(StemmedSearch, RememberedRestrictions, Page):
    date = models.DateField(_("date"), default=timezone.localdate)
    summary = models.TextField(_("summary"), max_length=400)
    image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    image_alt = models.CharField(
        _("alternative text of the image"),
        max_length=250,
        blank=True,
        help_text=_("Describe what the image shows. Leave empty if it is only decorative."),
    )
    body = StreamField(BodyBlock(), verbose_name=_("body"))

    content_panels = [
        *Page.content_panels,
        FieldPanel("date"),
        FieldPanel("summary"),
        MultiFieldPanel([FieldPanel("image"), FieldPanel("image_alt")], heading=_("Image")),
        FieldPanel("body"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("body"),
        index.FilterField("date"),
        STEMS_FIELD,
    ]
    parent_page_types = ["cms.NewsIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("news item")


class AccessibilityStatus(models.TextChoices):
    """The three statuses of the RGAA compliance statement (article 47, loi 2005-102)."""

    FULL = "full", _("fully compliant")
    PARTIAL = "partial", _("partially compliant")
    NONE = "none", _("not compliant")


@register_setting(icon="palette")
class BrandingSettings(RememberedSetting):
    site_name = models.CharField(_("site name"), max_length=100, default="Tribune")
    institution_name = models.CharField(
        _("institution name"),
        max_length=150,
        default="Ville de Démo",
        help_text=_("Shown with official answers and in the legal notices."),
    )
    tagline = models.CharField(_("tagline"), max_length=200, blank=True)
    logo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("logo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    primary_colour = models.CharField(
        _("primary colour"),
        max_length=7,
        default="#1F4E79",
        validators=[validate_primary_colour],
        help_text=_(
            "Background of buttons and of the header, under white text: its contrast with "
            "white must reach 4.5:1."
        ),
    )

    panels = [
        FieldPanel("site_name"),
        FieldPanel("institution_name"),
        FieldPanel("tagline"),
        FieldPanel("logo"),
        FieldPanel("primary_colour"),
    ]

    class Meta:
        verbose_name = _("branding")


@register_setting(icon="list-ul")
class NavigationSettings(RememberedSetting):
    legal_notice_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("legal notice"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    privacy_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("personal data"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    accessibility_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("accessibility statement"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    charter_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("moderation charter"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    accessibility_status = models.CharField(
        _("accessibility compliance"),
        max_length=10,
        choices=AccessibilityStatus.choices,
        default=AccessibilityStatus.NONE,
        help_text=_(
            "As stated in the accessibility statement, shown in the footer. Without an "
            "audit, the site can only say « not compliant »."
        ),
    )
    accessibility_audit_date = models.DateField(
        _("date of the accessibility audit"),
        null=True,
        blank=True,
        help_text=_("The RGAA audit that measured the compliance rate."),
    )
    contact_email = models.EmailField(_("contact e-mail"), blank=True)

    panels = [
        MultiFieldPanel(
            [
                FieldPanel("legal_notice_page"),
                FieldPanel("privacy_page"),
                FieldPanel("accessibility_page"),
                FieldPanel("charter_page"),
            ],
            heading=_("Footer links"),
        ),
        FieldRowPanel(
            [
                FieldPanel("accessibility_status"),
                FieldPanel("accessibility_audit_date"),
                FieldPanel("contact_email"),
            ]
        ),
    ]

    class Meta:
        verbose_name = _("navigation and footer")

    FOOTER_FIELDS = ("legal_notice_page", "privacy_page", "accessibility_page", "charter_page")

    @cached_property
    def footer_pages(self) -> dict:
        """{field: live page}, in one query rather than one per link."""
        ids = {name: getattr(self, f"{name}_id") for name in self.FOOTER_FIELDS}
        pages = Page.objects.live().in_bulk([pk for pk in ids.values() if pk])
        return {name: pages[pk] for name, pk in ids.items() if pk in pages}

    @classmethod
    def remember(cls, site):
        navigation = super().remember(site)
        _pages = navigation.footer_pages  # read with the settings, kept with them
        return navigation

    def clean(self):
        super().clean()
        # The law (article 47, loi 2005-102) and the RGAA: a compliance rate, hence
        # « partially » or « fully compliant », only comes from an audit.
        if self.accessibility_status != AccessibilityStatus.NONE and not (
            self.accessibility_audit_date
        ):
            raise ValidationError(
                {
                    "accessibility_audit_date": _(
                        "Give the date of the audit: without an audit, the site is "
                        "« not compliant »."
                    )
                }
            )

    def footer_links(self):
        # The accessibility statement has its own line with the status: listed once.
        return [page for name, page in self.footer_pages.items() if name != "accessibility_page"]

    def live_accessibility_page(self):
        return self.footer_pages.get("accessibility_page")


class SecondPairOfEyesTask(AbstractGroupApprovalTask):
    """Approval by a member of the chosen groups who is not the person who submitted
    the page nor the author of the version under review: nobody publishes their own
    page alone. (The communication team has no right to publish directly either:
    cms.permissions.)"""

    @staticmethod
    def _authors(obj) -> set:
        state = getattr(obj, "current_workflow_state", None)
        if state is None:
            return set()
        authors = {state.requested_by_id}
        task_state = state.current_task_state
        if task_state is not None and task_state.revision_id:
            authors.add(task_state.revision.user_id)
        return authors - {None}

    def is_author(self, obj, user) -> bool:
        return user.pk in self._authors(obj)

    def get_actions(self, obj, user):
        actions = super().get_actions(obj, user)
        if actions and self.is_author(obj, user):
            # They may still withdraw it ("request changes"), never approve it.
            return [action for action in actions if action[0] != "approve"]
        return actions

    def on_action(self, task_state, user, action_name, **kwargs):
        if action_name == "approve" and user.pk in self._authors(
            task_state.workflow_state.content_object
        ):
            raise PermissionDenied(
                _("A colleague must approve this page: you cannot approve your own page.")
            )
        return super().on_action(task_state, user, action_name, **kwargs)

    @classmethod
    def get_description(cls):
        return _(
            "A member of the chosen groups other than the person who submitted the page approves it"
        )

    class Meta:
        verbose_name = _("approval by a colleague")
        verbose_name_plural = _("approvals by a colleague")
