import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
# WCAG 2.1 AA, success criterion 1.4.3: normal text needs 4.5:1.
MINIMUM_CONTRAST = 4.5


def relative_luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_with_white(colour: str) -> float:
    return 1.05 / (relative_luminance(colour) + 0.05)


def validate_primary_colour(value: str) -> None:
    """The primary colour is the background of white text (buttons, header): refuse
    any colour that would make that text unreadable."""
    if not HEX_COLOUR.match(value or ""):
        raise ValidationError(
            _("Enter a colour as # followed by six hexadecimal digits, for example #1F4E79.")
        )
    ratio = contrast_with_white(value)
    if ratio < MINIMUM_CONTRAST:
        raise ValidationError(
            _(
                "White text on %(colour)s has a contrast of %(ratio).2f:1; at least 4.5:1 is "
                "required (RGAA 3.2). Choose a darker colour."
            )
            % {"colour": value, "ratio": ratio}
        )
