import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cms.models import Status
from tests import factories


@pytest.mark.parametrize(
    ("opens_in", "closes_in", "status"),
    [
        (5, 30, Status.UPCOMING),
        (-5, 30, Status.OPEN),
        (-5, None, Status.OPEN),
        (-60, -1, Status.CLOSED),
    ],
)
def test_status_follows_the_dates(consultation_index, opens_in, closes_in, status):
    page = factories.consultation(consultation_index, opens_in=opens_in, closes_in=closes_in)
    assert page.status == status
    assert page.is_open is (status == Status.OPEN)


def test_status_changes_exactly_at_the_boundaries(consultation_index):
    page = factories.consultation(consultation_index)
    assert page.status_at(page.opens_at) == Status.OPEN
    assert page.status_at(page.opens_at - timezone.timedelta(seconds=1)) == Status.UPCOMING
    assert page.status_at(page.closes_at) == Status.CLOSED


def test_closing_before_opening_is_refused_in_french(consultation_index):
    page = factories.consultation(consultation_index)
    page.closes_at = page.opens_at - timezone.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        page.full_clean()
    assert "La date de clôture doit suivre la date d’ouverture." in str(error.value)


def test_cover_image_needs_an_alternative_or_to_be_decorative(consultation_index):
    from wagtail.images import get_image_model
    from wagtail.images.tests.utils import get_test_image_file

    image = get_image_model().objects.create(title="Vélo", file=get_test_image_file())
    page = factories.consultation(consultation_index)
    page.cover_image = image
    with pytest.raises(ValidationError) as error:
        page.full_clean()
    assert "cover_alt" in error.value.message_dict
    page.cover_alt = "Une piste cyclable le long du canal"
    page.full_clean()


def test_consultation_page_shows_what_a_citizen_needs(client, consultation_index):
    page = factories.consultation(
        consultation_index,
        title="Plan vélo",
        themes=["Mobilité"],
        objectives="<p>Le conseil municipal votera en mars.</p>",
    )
    response = client.get(page.url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Plan vélo</h1>" in html
    assert "Ouverte" in html
    assert "Ouverte jusqu’au" in html
    assert "Le conseil municipal votera en mars." in html
    assert f'href="{consultation_index.url}?theme=mobilite"' in html


def test_upcoming_and_closed_consultations_say_so(client, consultation_index):
    upcoming = factories.consultation(consultation_index, title="Bientôt", opens_in=3)
    closed = factories.consultation(consultation_index, title="Finie", opens_in=-30, closes_in=-2)
    assert "Ouvre le" in client.get(upcoming.url).content.decode()
    assert "Terminée le" in client.get(closed.url).content.decode()
