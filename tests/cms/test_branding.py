import pytest
from django.core.exceptions import ValidationError

from cms.models import BrandingSettings
from cms.validators import contrast_with_white, validate_primary_colour


@pytest.mark.parametrize("colour", ["#1F4E79", "#000000", "#B3261E", "#1e6b34"])
def test_dark_colours_are_accepted(colour):
    validate_primary_colour(colour)


@pytest.mark.parametrize("colour", ["#FFFFFF", "#FFD700", "#7FB3D5", "#8A8A8A"])
def test_colours_unreadable_under_white_text_are_refused(colour):
    with pytest.raises(ValidationError) as error:
        validate_primary_colour(colour)
    assert "au moins 4,5:1" in error.value.messages[0]


@pytest.mark.parametrize("colour", ["bleu", "#12345", "123456", "#GGGGGG"])
def test_malformed_colours_are_refused(colour):
    with pytest.raises(ValidationError):
        validate_primary_colour(colour)


def test_contrast_matches_wcag_reference_values():
    assert contrast_with_white("#000000") == pytest.approx(21.0)
    assert contrast_with_white("#767676") == pytest.approx(4.54, abs=0.01)


def test_primary_colour_reaches_the_page(client, home):
    branding = BrandingSettings.for_site(home.get_site())
    branding.primary_colour = "#6B2D5C"
    branding.full_clean()
    branding.save()
    html = client.get(home.url).content.decode()
    assert "--primary: #6B2D5C;" in html
