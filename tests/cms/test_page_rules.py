"""Which page types may be created where: the editors' page picker depends on it."""

import pytest
from wagtail.models import Page

from cms.models import ConsultationIndexPage, HomePage, NewsIndexPage, NewsPage, StandardPage
from participation.models import ConsultationPage


@pytest.mark.parametrize(
    ("parent", "child", "allowed"),
    [
        (Page, HomePage, True),
        (HomePage, ConsultationIndexPage, True),
        (HomePage, NewsIndexPage, True),
        (HomePage, StandardPage, True),
        (HomePage, ConsultationPage, False),
        (HomePage, NewsPage, False),
        (ConsultationIndexPage, ConsultationPage, True),
        (ConsultationIndexPage, StandardPage, False),
        (ConsultationPage, ConsultationPage, False),
        (NewsIndexPage, NewsPage, True),
        (NewsIndexPage, ConsultationPage, False),
        (StandardPage, StandardPage, True),
        (StandardPage, ConsultationPage, False),
        (NewsPage, StandardPage, False),
    ],
)
def test_page_type_rules(parent, child, allowed):
    assert (child in parent.allowed_subpage_models()) is allowed
    assert (parent in child.allowed_parent_page_models()) is allowed


def test_consultation_cannot_be_created_under_home(db, site_tree):
    assert not ConsultationPage.can_create_at(site_tree["home"])
    assert ConsultationPage.can_create_at(site_tree["index"])
