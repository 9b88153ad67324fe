"""RSS and Atom feeds of the consultations and news, public pages only."""

from django.contrib.syndication.views import Feed
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _
from wagtail.models import Site

from cms.models import NewsPage
from participation.models import ConsultationPage

ITEMS = 30


class ConsultationsFeed(Feed):
    title = _("Consultations and news")
    description = _("The latest consultations and news.")

    def get_object(self, request, *args, **kwargs):
        self.request = request
        return Site.find_for_request(request)

    def link(self, site):
        return site.root_page.url if site else "/"

    def items(self, site):
        consultations = list(ConsultationPage.objects.live().public().order_by("-opens_at")[:ITEMS])
        news = list(NewsPage.objects.live().public().order_by("-date", "-pk")[:ITEMS])
        items = consultations + news
        items.sort(key=self.item_pubdate, reverse=True)
        return items[:ITEMS]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary

    def item_link(self, item):
        return item.get_url(self.request)

    def item_pubdate(self, item):
        if isinstance(item, NewsPage):
            return timezone.make_aware(
                timezone.datetime.combine(item.date, timezone.datetime.min.time())
            )
        return item.opens_at


class ConsultationsAtomFeed(ConsultationsFeed):
    feed_type = Atom1Feed
    subtitle = ConsultationsFeed.description
