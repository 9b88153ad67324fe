"""What the site's shell says about accessibility, and what each page says in its title:
the compliance status (« non conforme » until an audit), said once in the footer; the
page number of paged lists; « Erreur » first when a form comes back refused; required
fields marked; no heading before the page's h1."""

import re
import zoneinfo
from datetime import date

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from wagtail.models import Site

from cms.models import AccessibilityStatus, NavigationSettings, StandardPage
from tests import factories


def title(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1).strip()


@pytest.fixture
def navigation(home):
    statement = factories.add_page(
        home, StandardPage(title="Déclaration d'accessibilité", slug="accessibilite", body=[])
    )
    navigation = NavigationSettings.for_site(Site.objects.get(is_default_site=True))
    navigation.accessibility_page = statement
    navigation.save()
    return navigation


def test_a_new_site_says_not_compliant_once_in_the_footer(client, navigation):
    html = client.get("/").content.decode()
    footer = html[html.index('<footer class="site-footer">') :]
    assert footer.count("Accessibilité") == 1
    assert re.search(r'Accessibilité :\s*<a href="/accessibilite/">non conforme</a>', footer)


def test_compliance_other_than_not_compliant_needs_an_audit_date(navigation):
    navigation.accessibility_status = AccessibilityStatus.PARTIAL
    with pytest.raises(ValidationError) as refusal:
        navigation.full_clean()
    assert refusal.value.message_dict["accessibility_audit_date"] == [
        "Indiquez la date de l’audit : sans audit, le site est « non conforme »."
    ]
    navigation.accessibility_audit_date = date(2026, 11, 2)
    navigation.full_clean()


def test_the_second_page_of_the_listing_says_so_in_its_title(client, consultation_index, settings):
    settings.TRIBUNE_CONSULTATIONS_PER_PAGE = 2
    for number in range(5):
        factories.consultation(consultation_index, title=f"Consultation {number}")
    assert title(client.get(consultation_index.url)) == "Consultations — Tribune"
    assert title(client.get(consultation_index.url + "?page=2")) == (
        "Consultations — page 2 sur 3 — Tribune"
    )


def test_a_refused_sign_up_says_error_first_and_marks_required_fields(client, users):
    page = client.get("/compte/inscription/").content.decode()
    assert not title_starts_with_error(page)
    assert re.search(
        r'<label for="id_email">E-mail <span class="required-mark" aria-hidden="true">'
        r"\(obligatoire\)</span>",
        page,
    )
    assert 'autocomplete="nickname"' in page
    refused = client.post("/compte/inscription/", {"email": "pas-une-adresse"})
    html = refused.content.decode()
    assert title_starts_with_error(html)
    assert 'id="error-summary"' in html and "Le formulaire comporte" in html
    assert 'href="#id_email"' in html and 'href="#id_age_0"' in html
    assert 'value="pas-une-adresse"' in html


def title_starts_with_error(html) -> bool:
    return re.search(r"<title>\s*Erreur :", html) is not None


def test_the_cookie_banner_puts_no_heading_before_the_h1(client, home):
    html = client.get("/").content.decode()
    assert 'id="cookie-banner"' in html
    first_heading = re.search(r"<h[1-6][ >]", html).group(0)
    assert first_heading.startswith("<h1")


def test_staff_time_zones_are_ones_the_browser_knows():
    # Wagtail's default list held "localtime", which broke the account page's script.
    zones = settings.WAGTAIL_USER_TIME_ZONES
    assert "Europe/Paris" in zones and "localtime" not in zones
    assert all(zone in zoneinfo.available_timezones() for zone in zones)
