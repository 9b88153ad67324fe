"""Page addresses in ASCII, and former accented addresses redirected."""

from urllib.parse import quote

from wagtail.contrib.redirects.models import Redirect
from wagtail.models import Page, Revision, Site

from cms.models import StandardPage
from cms.services import ascii_slugs
from tests import factories


def test_a_new_page_gets_an_ascii_slug_from_its_title(site_tree):
    page = StandardPage(title="Été à Démo : les fêtes", body=[])
    site_tree["home"].add_child(instance=page)
    assert page.slug == "ete-a-demo-les-fetes"


def test_accented_slugs_become_ascii_and_old_links_redirect(client, site_tree):
    home = site_tree["home"]
    parent = factories.standard_page(home, title="Événements", slug="evenements")
    child = factories.standard_page(parent, title="Fête", slug="fete")
    factories.standard_page(home, title="Déjà là", slug="ete-a-demo")  # a sibling's slug
    # Pages saved before the setting changed, with accents in their addresses.
    Page.objects.filter(pk=parent.pk).update(
        slug="été-à-démo", url_path=parent.url_path.replace("evenements", "été-à-démo")
    )
    Page.objects.filter(pk=child.pk).update(
        slug="fête", url_path=child.url_path.replace("evenements/fete", "été-à-démo/fête")
    )
    parent.refresh_from_db()
    parent.save_revision()
    Page.objects.filter(pk=parent.pk).update(slug="été-à-démo")

    assert ascii_slugs(Page, Site, Redirect, Revision) == 2
    parent.refresh_from_db()
    child.refresh_from_db()
    assert parent.slug == "ete-a-demo-2"  # "ete-a-demo" was taken by a sibling
    assert child.url == "/ete-a-demo-2/fete/"
    assert client.get(child.url).status_code == 200

    old_parent = client.get(quote("/été-à-démo/"))
    assert old_parent.status_code == 301 and old_parent["Location"] == "/ete-a-demo-2/"
    old_child = client.get(quote("/été-à-démo/fête/"))
    assert old_child.status_code == 301 and old_child["Location"] == "/ete-a-demo-2/fete/"
    # Publishing the page's older revision keeps the ASCII address.
    assert parent.latest_revision.content["slug"] == "ete-a-demo-2"
    assert ascii_slugs(Page, Site, Redirect, Revision) == 0  # nothing left to do
