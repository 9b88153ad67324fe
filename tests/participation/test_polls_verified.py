"""Consultations and polls reserved to verified identities (FranceConnect), optionally
to the residents of some places: who may vote, what the others read, what the results
say."""

import pytest
from django.core.exceptions import PermissionDenied

from participation.models import Ballot
from participation.services import polls as poll_services
from tests import factories
from tests.participation.test_polls_views import form_data, logged_in, poll_html, vote_url


def verified(postcode=None, cog=None):
    user = factories.UserFactory()
    claims = {"sub": "fc"}
    if postcode:
        claims["address_postcode"] = postcode
    if cog:
        claims["cog"] = cog
    user.socialaccount_set.create(
        provider="franceconnect", uid=f"fc-{user.pk}", extra_data={"userinfo": claims}
    )
    return user


def answers(poll):
    first, second, _third = poll.questions.all()
    return {
        first.pk: factories.choice_ids(poll, 0)[0],
        second.pk: [factories.choice_ids(poll, 1)[0]],
    }


@pytest.fixture
def residents_poll(consultation):
    return factories.poll(consultation, verified_only=True, allowed_places="69001, 69381")


def test_a_person_not_verified_is_told_why_and_how(client, users, residents_poll, consultation):
    logged_in(client, users["citizen"])
    html = poll_html(client.get(consultation.url), residents_poll)
    assert "réservée aux personnes dont l’identité est vérifiée" in html
    assert "FranceConnect" in html and "« Mes données »" in html
    response = client.post(vote_url(residents_poll), form_data(residents_poll), follow=True)
    assert not Ballot.objects.filter(poll=residents_poll).exists()
    assert "réservée aux personnes dont l’identité est vérifiée" in response.content.decode()


def test_a_verified_resident_votes_and_results_count_verified_participants(
    client, users, residents_poll, consultation
):
    resident = verified(postcode="69001")
    logged_in(client, resident)
    response = client.post(vote_url(residents_poll), form_data(residents_poll))
    assert response.status_code == 302
    ballot = Ballot.objects.get(poll=residents_poll, voter=resident)
    assert ballot.verified
    html = poll_html(client.get(consultation.url), residents_poll)
    assert "dont 1 participant·e à l’identité vérifiée" in html


def test_a_verified_person_living_elsewhere_is_told_why(users, residents_poll):
    elsewhere = verified(postcode="75011")
    with pytest.raises(PermissionDenied, match="réservée aux résidents de 69001, 69381"):
        poll_services.cast_ballot(voter=elsewhere, poll=residents_poll, answers={})
    assert not Ballot.objects.exists()


def test_the_insee_code_qualifies_too(users, residents_poll):
    resident = verified(cog="69381")
    outcome = poll_services.cast_ballot(
        voter=resident, poll=residents_poll, answers=answers(residents_poll)
    )
    assert outcome.created and outcome.ballot.verified


def test_an_ordinary_poll_records_who_was_verified_without_asking_it(users, consultation):
    poll = factories.poll(consultation)
    answer = answers(poll)
    assert poll_services.cast_ballot(voter=verified(), poll=poll, answers=answer).ballot.verified
    assert not poll_services.cast_ballot(
        voter=users["citizen"], poll=poll, answers=answer
    ).ballot.verified


def test_a_consultation_reserved_to_verified_residents(users, consultation):
    from participation import permissions

    consultation.verified_only = True
    consultation.allowed_places = "69001"
    consultation.save()
    assert "réservée aux personnes dont l’identité est vérifiée" in permissions.reason(
        users["citizen"], permissions.COMMENT, consultation
    )
    assert "réservée aux résidents de 69001" in permissions.reason(
        verified(postcode="75011"), permissions.COMMENT, consultation
    )
    resident = verified(postcode="69001")
    assert permissions.can(resident, permissions.COMMENT, consultation)
    # Its polls follow the consultation's rule.
    poll = factories.poll(consultation)
    assert not permissions.can(users["citizen"], permissions.VOTE, poll)
    assert poll_services.cast_ballot(voter=resident, poll=poll, answers=answers(poll)).created


def test_without_an_address_from_franceconnect_a_declared_postcode_counts(
    client, users, residents_poll
):
    resident = verified()  # FranceConnect sent no address
    assert not permissions_can_vote(resident, residents_poll)
    logged_in(client, resident)
    page = client.get("/mes-donnees/").content.decode()
    assert "FranceConnect n’a pas transmis votre adresse" in page
    refused = client.post(
        "/mes-donnees/", {"section": "postcode", "place-declared_postcode": "690"}
    )
    assert refused.status_code == 200
    assert "Un code postal français a cinq chiffres" in refused.content.decode()
    assert 'value="690"' in refused.content.decode()
    resident.refresh_from_db()
    assert resident.declared_postcode == ""
    saved = client.post(
        "/mes-donnees/", {"section": "postcode", "place-declared_postcode": "69001"}
    )
    assert saved.status_code == 302
    resident.refresh_from_db()
    assert resident.declared_postcode == "69001"
    assert permissions_can_vote(resident, residents_poll)


def test_an_address_from_franceconnect_wins_over_a_declared_postcode(users, residents_poll):
    elsewhere = verified(postcode="75011")
    elsewhere.declared_postcode = "69001"
    elsewhere.save()
    assert not permissions_can_vote(elsewhere, residents_poll)


def permissions_can_vote(user, poll):
    from participation import permissions

    fresh = type(user).objects.get(pk=user.pk)  # the link is cached per instance
    return permissions.can(fresh, permissions.VOTE, poll)
