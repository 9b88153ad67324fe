"""Notifications in the personal-data registry: exported, erased with the account,
kept one year read or not (purge_expired_data)."""

import io
import json
import zipfile
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from consent.services.erasure import erase_accounts
from consent.services.exports import build_zip
from participation.models import EmailMode, Follow, Kind, Notification, NotificationPreference
from participation.services import notifications
from tests import factories


def notify(user, consultation, key, days_ago=0, read=False):
    moment = timezone.now() - timedelta(days=days_ago)
    return Notification.objects.create(
        recipient=user,
        kind=Kind.RESULTS,
        event_key=key,
        consultation=consultation,
        created_at=moment,
        read_at=moment if read else None,
    )


def test_the_export_holds_my_notifications_preferences_and_follows(users, consultation):
    citizen = users["citizen"]
    notify(citizen, consultation, "results:1")
    notify(factories.UserFactory(), consultation, "results:1")
    notifications.set_preferences(user=citizen, modes={Kind.REPLY: EmailMode.WEEKLY})
    Follow.objects.create(consultation=consultation, user=citizen, automatic=True)
    archive = zipfile.ZipFile(io.BytesIO(build_zip(citizen)))
    rows = json.loads(archive.read("notifications.json"))
    assert [(row["kind"], row["consultation__title"]) for row in rows] == [("results", "Plan vélo")]
    (choices,) = json.loads(archive.read("preferences-notifications.json"))
    assert choices["reply"] == "weekly" and choices["auto_follow"] is True
    assert "suivis.json" in archive.namelist()


def test_deleting_the_account_deletes_its_notifications_and_choices(users, consultation):
    citizen, other = users["citizen"], factories.UserFactory()
    notify(citizen, consultation, "results:1")
    notify(other, consultation, "results:1")
    NotificationPreference.objects.create(user=citizen, reply=EmailMode.DAILY)
    erase_accounts([citizen.pk])
    assert list(Notification.objects.values_list("recipient_id", flat=True)) == [other.pk]
    assert not NotificationPreference.objects.exists()


def test_notifications_are_kept_one_year_read_or_not(users, consultation):
    citizen = users["citizen"]
    notify(citizen, consultation, "old:read", days_ago=366, read=True)
    notify(citizen, consultation, "old:unread", days_ago=366)
    kept = notify(citizen, consultation, "recent", days_ago=364)
    call_command("purge_expired_data", "--dry-run", stdout=io.StringIO())
    assert Notification.objects.count() == 3
    call_command("purge_expired_data", stdout=io.StringIO())
    assert list(Notification.objects.values_list("pk", flat=True)) == [kept.pk]
