"""The product's URLs, plus /banc/nu/: a bare Django page doing one indexed query and
rendering about 5 KB, the floor benchmarks/serve.py compares Tribune's pages with."""

from django.http import HttpResponse
from django.template import engines
from django.urls import include, path
from wagtail.models import Page

TEMPLATE = engines["django"].from_string(
    "<!doctype html><html lang='fr'><head><meta charset='utf-8'><title>{{ title }}</title>"
    "</head><body><main><h1>{{ title }}</h1>"
    "{% for n in rows %}<p>Paragraphe {{ n }} : du texte pour faire une page de taille "
    "ordinaire, comme une page de consultation.</p>{% endfor %}</main></body></html>"
)
ROWS = range(50)


def bare(request):
    title = Page.objects.filter(pk=1).values_list("title", flat=True).first()
    return HttpResponse(TEMPLATE.render({"title": title, "rows": ROWS}))


urlpatterns = [path("banc/nu/", bare), path("", include("config.urls"))]
