"""The communication team writes, previews, submits to "Validation", schedules and
publishes a consultation in the Wagtail admin — through the admin's own views."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page, WorkflowState
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from accounts import roles
from participation.models import ConsultationPage
from tests import factories


def consultation_form(title="Budget participatif", **overrides):
    now = timezone.localtime()
    data = {
        "title": title,
        "slug": "budget-participatif",
        "summary": "Proposez vos idées pour le quartier.",
        "tags": "Budget, Quartier",
        "body": streamfield([("paragraph", rich_text("<p>Comment participer.</p>"))]),
        "objectives": rich_text("<p>Le conseil décide en juin.</p>"),
        "opens_at": (now + timedelta(days=1)).strftime("%Y-%m-%d %H:%M"),
        "closes_at": (now + timedelta(days=30)).strftime("%Y-%m-%d %H:%M"),
        "comments_enabled": "on",
        "comment_moderation": "a_posteriori",
    }
    data.update(overrides)
    return nested_form_data(data)


@pytest.fixture
def comms(client, users):
    client.force_login(users["communication"])
    return client


def add_url(index):
    return reverse("wagtailadmin_pages:add", args=("participation", "consultationpage", index.pk))


def test_admin_speaks_french_to_the_team(comms, consultation_index):
    response = comms.get(add_url(consultation_index))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="fr"' in html
    assert "Participation" in html  # the participation settings tab
    assert "Ouvre le" in html or "ouvre le" in html.lower()


def test_draft_preview_submit_and_approve(comms, client, users, consultation_index):
    # Write a draft.
    response = comms.post(add_url(consultation_index), consultation_form())
    assert response.status_code == 302
    page = ConsultationPage.objects.get(slug="budget-participatif")
    assert not page.live
    assert page.has_unpublished_changes

    # Preview it.
    preview_url = reverse("wagtailadmin_pages:preview_on_edit", args=(page.pk,))
    assert comms.post(preview_url, consultation_form()).json()["is_valid"]
    preview = comms.get(preview_url)
    assert "Budget participatif" in preview.content.decode()

    # Submit it to the "Validation" workflow.
    edit_url = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    response = comms.post(edit_url, consultation_form(**{"action-submit": "Soumettre"}))
    assert response.status_code == 302
    state = WorkflowState.objects.get(object_id=str(page.pk))
    assert state.workflow.name == "Validation"
    assert state.status == WorkflowState.STATUS_IN_PROGRESS

    # The submitter cannot approve their own page…
    task_state = state.current_task_state
    approve_url = reverse(
        "wagtailadmin_pages:workflow_action", args=(page.pk, "approve", task_state.pk)
    )
    refused = comms.post(approve_url, {"comment": "Moi-même."})
    assert refused.status_code == 302  # Wagtail sends a refusal back to the admin
    page.refresh_from_db()
    assert not page.live
    task_state.refresh_from_db()
    assert task_state.status == task_state.STATUS_IN_PROGRESS
    edit_page = comms.get(edit_url).content.decode()
    assert "Approuver" not in edit_page

    # …a colleague of the same team can: the page goes live.
    colleague = factories.UserFactory(role=roles.COMMUNICATION, is_staff=True)
    client.force_login(colleague)
    assert "Approuver" in client.get(edit_url).content.decode()
    response = client.post(approve_url, {"comment": "Parfait."})
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.live
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_APPROVED


def test_citizens_and_moderators_cannot_edit_pages(client, users, consultation_index):
    # A citizen never enters the admin (403); a moderator does, without the right to add
    # pages, and Wagtail sends them back to its home.
    for role, refused in (("citizen", 403), ("moderator", 302)):
        client.force_login(users[role])
        response = client.get(add_url(consultation_index))
        assert response.status_code == refused, role


def test_the_team_cannot_publish_without_a_colleague(comms, consultation_index):
    """No « Publier » for the communication team: a page goes online once approved."""
    response = comms.post(add_url(consultation_index), consultation_form())
    page = ConsultationPage.objects.get(slug="budget-participatif")
    edit_url = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    html = comms.get(edit_url).content.decode()
    assert 'name="action-publish"' not in html
    assert 'name="action-submit"' in html
    response = comms.post(edit_url, consultation_form(**{"action-publish": "Publier"}))
    assert response.status_code == 302  # saved as a draft: the publish button is ignored
    page.refresh_from_db()
    assert not page.live


def test_scheduled_publication_and_expiry_with_publish_scheduled(comms, client, consultation_index):
    go_live = timezone.now() + timedelta(days=2)
    expire = timezone.now() + timedelta(days=10)
    response = comms.post(
        add_url(consultation_index),
        consultation_form(
            **{
                "go_live_at": timezone.localtime(go_live).strftime("%Y-%m-%d %H:%M"),
                "expire_at": timezone.localtime(expire).strftime("%Y-%m-%d %H:%M"),
                "action-submit": "Soumettre",
            }
        ),
    )
    assert response.status_code == 302
    page = Page.objects.get(slug="budget-participatif")
    task_state = WorkflowState.objects.get(object_id=str(page.pk)).current_task_state
    client.force_login(factories.UserFactory(role=roles.COMMUNICATION, is_staff=True))
    client.post(
        reverse("wagtailadmin_pages:workflow_action", args=(page.pk, "approve", task_state.pk)),
        {"comment": "Bon pour le 2."},
    )
    page.refresh_from_db()
    assert not page.live  # approved and scheduled, not yet published
    assert page.specific.scheduled_revision is not None

    call_command("publish_scheduled")
    page.refresh_from_db()
    assert not page.live

    with time_machine.travel(go_live + timedelta(minutes=1)):
        call_command("publish_scheduled")
    page.refresh_from_db()
    assert page.live

    with time_machine.travel(expire + timedelta(minutes=1)):
        call_command("publish_scheduled")
    page.refresh_from_db()
    assert not page.live
    assert page.expired


def test_the_task_refuses_the_submitters_approval_even_outside_the_admin_views(
    comms, users, consultation_index
):
    from django.core.exceptions import PermissionDenied

    comms.post(add_url(consultation_index), consultation_form(**{"action-submit": "Soumettre"}))
    page = ConsultationPage.objects.get(slug="budget-participatif")
    task_state = WorkflowState.objects.get(object_id=str(page.pk)).current_task_state.specific
    task = task_state.task.specific
    with pytest.raises(PermissionDenied, match="collègue"):
        task.on_action(task_state, users["communication"], "approve")
    assert [name for name, _label, _modal in task.get_actions(page, users["communication"])] == [
        "reject"
    ]
