"""Fixtures shared by the participation tests."""

import pytest

from accounts import roles
from participation.models import ModeratorScope
from tests import factories


@pytest.fixture(autouse=True)
def _broadcasts_closed():
    """A test that breaks the channel layer opens the process's broadcast breaker
    (participation.events): the next test must find broadcasts going out again."""
    from cms import breaker

    breaker._breakers.clear()
    yield
    breaker._breakers.clear()


@pytest.fixture
def consultation(consultation_index):
    return factories.consultation(consultation_index, title="Plan vélo")


@pytest.fixture
def other(consultation_index):
    """A second consultation, outside a scoped moderator's reach."""
    return factories.consultation(consultation_index, title="Autre")


@pytest.fixture
def scoped(users, consultation):
    """A moderator limited to `consultation`."""
    person = factories.UserFactory(role=roles.MODERATORS, is_staff=True)
    ModeratorScope.objects.create(moderator=person, consultation=consultation)
    return person
