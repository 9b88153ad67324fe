from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import TaggedItemBase
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from cms.blocks import BodyBlock
from cms.models import ParticipationPeriod, RememberedRestrictions
from cms.search import STEMS_FIELD, StemmedSearch


class ConsultationTag(TaggedItemBase):
    content_object = ParentalKey(
        "participation.ConsultationPage", on_delete=models.CASCADE, related_name="tagged_items"
    )

    class Meta:
        verbose_name = _("consultation theme")
        verbose_name_plural = _("consultation themes")


class CommentModeration(models.TextChoices):
    A_PRIORI = "a_priori", _("A priori (comments wait for a moderator)")
    A_POSTERIORI = "a_posteriori", _("A posteriori (comments are published at once)")
    SITE_DEFAULT = "site_default", _("Site-wide default (moderation rules)")


class ConsultationPage(StemmedSearch, RememberedRestrictions, ParticipationPeriod, Page):
    """A consultation: what is asked, why, until when. Comments and polls hang off it."""

    summary = models.TextField(
        _("summary"),
        max_length=500,
        help_text=_("Two or three sentences shown in listings and search results."),
    )
    cover_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("cover image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cover_alt = models.CharField(
        _("alternative text of the cover image"),
        max_length=250,
        blank=True,
        help_text=_("Describe what the image shows. Leave empty if it is only decorative."),
    )
    cover_decorative = models.BooleanField(
        _("the cover image is decorative"),
        default=False,
        help_text=_("Tick only when the image adds no information (RGAA 1.2)."),
    )
    tags = ClusterTaggableManager(through=ConsultationTag, blank=True, verbose_name=_("themes"))
    body = StreamField(BodyBlock(), verbose_name=_("body"))
    objectives = RichTextField(
        _("objectives"),
        blank=True,
        features=["bold", "italic", "link", "ul", "ol"],
        help_text=_("What the contributions will be used for, and who decides."),
    )

    # Participation settings; later features add their own fields to this panel.
    comments_enabled = models.BooleanField(_("comments enabled"), default=True)
    comment_moderation = models.CharField(
        _("comment moderation"),
        max_length=12,
        choices=CommentModeration.choices,
        default=CommentModeration.A_POSTERIORI,
        help_text=_(
            "A priori: new comments wait for a moderator before they are published. "
            "A posteriori: they are published at once and moderated afterwards."
        ),
    )
    comment_positions = models.BooleanField(
        _("ask for a position"),
        default=False,
        help_text=_("Commenters may say whether they are for, against or neutral."),
    )

    verified_only = models.BooleanField(
        _("verified identity required"),
        default=False,
        help_text=_("Only people signed in with FranceConnect may comment, support and vote here."),
    )
    allowed_places = models.CharField(
        _("residents of"),
        max_length=500,
        blank=True,
        help_text=_(
            "Optional, with « verified identity required »: postcodes or INSEE commune codes, "
            "separated by commas. Only people whose FranceConnect address is there may take part."
        ),
    )

    @property
    def place_codes(self) -> set[str]:
        return {code.strip() for code in self.allowed_places.split(",") if code.strip()}

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        MultiFieldPanel(
            [FieldPanel("cover_image"), FieldPanel("cover_alt"), FieldPanel("cover_decorative")],
            heading=_("Cover image"),
        ),
        FieldPanel("tags"),
        FieldPanel("body"),
        FieldPanel("objectives"),
    ]
    participation_panels = [
        FieldRowPanel([FieldPanel("opens_at"), FieldPanel("closes_at")], heading=_("Period")),
        MultiFieldPanel(
            [
                FieldPanel("comments_enabled"),
                FieldPanel("comment_moderation"),
                FieldPanel("comment_positions"),
            ],
            heading=_("Comments"),
        ),
        FieldRowPanel(
            [FieldPanel("verified_only"), FieldPanel("allowed_places")],
            heading=_("Verified participation"),
        ),
    ]
    edit_handler = TabbedInterface(
        [
            ObjectList(content_panels, heading=_("Content")),
            ObjectList(participation_panels, heading=_("Participation")),
            ObjectList(Page.promote_panels, heading=_("Promote")),
            ObjectList(Page.settings_panels, heading=_("Settings")),
        ]
    )

    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("body"),
        index.SearchField("objectives"),
        STEMS_FIELD,
        index.FilterField("opens_at"),
        index.FilterField("closes_at"),
    ]

    parent_page_types = ["cms.ConsultationIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")

    @property
    def premoderated(self) -> bool:
        """A priori when chosen here, by the site-wide default, or by the crisis switch.
        The lookups are remembered per object: a thread page asks for every form."""
        if self.comment_moderation == CommentModeration.A_PRIORI:
            return True
        if self.comment_moderation == CommentModeration.SITE_DEFAULT:
            if "_tribune_site_a_priori" not in self.__dict__:
                from participation.models.moderation import DefaultModeration, ModerationRules

                self.__dict__["_tribune_site_a_priori"] = (
                    ModerationRules.load().default_moderation == DefaultModeration.A_PRIORI
                )
            if self.__dict__["_tribune_site_a_priori"]:
                return True
        return bool(self.crisis and self.crisis.force_a_priori)

    @property
    def crisis(self):
        """The crisis switches, or None when none was ever flipped."""
        if "_tribune_crisis" not in self.__dict__:
            from participation.models.moderation import ConsultationModeration

            self.__dict__["_tribune_crisis"] = ConsultationModeration.objects.filter(
                pk=self.pk
            ).first()
        return self.__dict__["_tribune_crisis"]

    def clean(self):
        super().clean()
        if self.cover_image_id and not self.cover_alt and not self.cover_decorative:
            raise ValidationError(
                {
                    "cover_alt": _(
                        "Describe the cover image, or tick “decorative” if it adds no information."
                    )
                }
            )
