"""Account deletion: re-authentication, consequences, choice, confirmation e-mail."""

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.exceptions import PermissionDenied
from wagtail.models import PageLogEntry, Revision

from accounts.models import User
from consent.models import ConsentRecord, DataExport
from consent.registry import Choice
from consent.services import account, exports
from tests import factories
from tests.consent.conftest import reauthenticate


def test_deletion_asks_for_the_password_again(signed_in, citizen):
    response = signed_in.get("/mes-donnees/supprimer/")
    assert response.status_code == 302
    assert response["Location"].startswith("/compte/confirmer-identite/")
    response = signed_in.post(
        "/mes-donnees/supprimer/", {"choice": Choice.ANONYMISE, "confirm": "on"}
    )
    assert response["Location"].startswith("/compte/confirmer-identite/")
    assert User.objects.filter(pk=citizen.pk).exists()


def test_a_wrong_password_deletes_nothing(signed_in, citizen):
    response = signed_in.post("/compte/confirmer-identite/", {"password": "pas-le-bon"})
    assert response.status_code == 200
    response = signed_in.post("/mes-donnees/supprimer/", {"choice": Choice.ERASE, "confirm": "on"})
    assert response["Location"].startswith("/compte/confirmer-identite/")
    assert User.objects.filter(pk=citizen.pk).exists()


def test_deletion_end_to_end(signed_in, citizen, django_capture_on_commit_callbacks):
    export = exports.request_export(citizen, citizen)
    export_name = export.file.name
    reauthenticate(signed_in)
    page = signed_in.get("/mes-donnees/supprimer/").content.decode()
    assert "Participant·e supprimé·e" in page and "restent comptés" in page
    missing_confirm = signed_in.post("/mes-donnees/supprimer/", {"choice": Choice.ANONYMISE})
    assert missing_confirm.status_code == 200
    assert User.objects.filter(pk=citizen.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(
            "/mes-donnees/supprimer/", {"choice": Choice.ANONYMISE, "confirm": "on"}, follow=True
        )
    assert "Votre compte est supprimé" in response.content.decode()
    assert not User.objects.filter(pk=citizen.pk).exists()
    assert not EmailAddress.objects.filter(email=citizen.email).exists()
    assert not DataExport.objects.exists()
    assert not DataExport._meta.get_field("file").storage.exists(export_name)
    # Proofs of consent stay, unlinked and closed.
    proofs = ConsentRecord.objects.all()
    assert proofs and all(p.user_id is None and p.ended_at for p in proofs)
    assert "_auth_user_id" not in signed_in.session
    message = mail.outbox[-1]
    assert message.to == [citizen.email]
    assert message.subject == "Votre compte a été supprimé"
    assert "Participant·e supprimé·e" in message.body
    # Sent from a no-reply address: it says where to write, not to reply.
    assert "répondez" not in message.body
    assert "les réponses à cet e-mail ne sont pas lues" in message.body


def test_staff_deletion_keeps_the_editorial_record_unlinked(site_tree, defaults):
    editor = factories.UserFactory(is_staff=True)
    page = site_tree["home"]
    revision = page.save_revision(user=editor)
    PageLogEntry.objects.log_action(page, "wagtail.edit", user=editor)
    page.owner = editor
    page.locked, page.locked_by = True, editor
    page.save()
    account.delete_account(editor, editor, choice=Choice.ANONYMISE, recently_authenticated=True)
    assert Revision.objects.filter(pk=revision.pk, user=None).exists()
    assert PageLogEntry.objects.filter(page=page, action="wagtail.edit", user=None).exists()
    page.refresh_from_db()
    assert page.owner_id is None and not page.locked


def test_deleting_someone_elses_account_is_refused(citizen):
    other = factories.UserFactory()
    with pytest.raises(PermissionDenied, match="votre propre compte"):
        account.delete_account(other, citizen, choice=Choice.ERASE, recently_authenticated=True)
    assert User.objects.filter(pk=citizen.pk).exists()


def test_deletion_without_recent_authentication_is_refused_by_the_service(citizen):
    with pytest.raises(PermissionDenied, match="Confirmez votre mot de passe"):
        account.delete_account(citizen, citizen, choice=Choice.ERASE, recently_authenticated=False)
    assert User.objects.filter(pk=citizen.pk).exists()


def test_an_administrator_cannot_delete_their_own_account(client, users, defaults, site_tree):
    admin = users["administrator"]
    with pytest.raises(PermissionDenied):
        account.delete_account(admin, admin, choice=Choice.ERASE, recently_authenticated=True)
