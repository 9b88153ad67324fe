"""Each retention rule with frozen time, and the purge command's guarantees."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from consent.models import ConsentRecord, DataExport, InactivityNotice, PurgeRun, PurgeStatus
from consent.registry import RetentionRule, registry
from consent.services import exports, purge, records
from consent.services.purge import LOCK_NAME
from tests import factories

pytestmark = pytest.mark.usefixtures("defaults")

START = timezone.datetime(2026, 1, 5, 10, 0, tzinfo=timezone.UTC)


def days(n):
    return START + timedelta(days=n)


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Purge as if at `now`; what waits for the commit (e-mails, file removal) runs."""

    def run_at(now, **kwargs):
        with (
            time_machine.travel(now, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return purge.purge(now=now, **kwargs)

    return run_at


def rows(result_run, key):
    return next(row["rows"] for row in result_run.results if row["rule"] == key)


@pytest.fixture
def at_start():
    with time_machine.travel(START, tick=False):
        yield


def test_unverified_accounts_go_after_7_days(at_start, run):
    unverified = factories.UserFactory(verified=False)
    verified = factories.UserFactory()
    assert rows(run(days(6)), "accounts.unverified") == 0
    result = run(days(8))
    assert rows(result, "accounts.unverified") == 1
    assert not User.objects.filter(pk=unverified.pk).exists()
    assert User.objects.filter(pk=verified.pk).exists()


def test_inactive_accounts_are_warned_at_30_and_7_days_then_deleted(at_start, run):
    person = factories.UserFactory(display_name="Dormeuse")
    User.objects.filter(pk=person.pk).update(last_login=START)
    active = factories.UserFactory()
    User.objects.filter(pk=active.pk).update(last_login=days(400))

    assert rows(run(days(699)), "accounts.inactive.warning-30") == 0
    result = run(days(701))
    assert rows(result, "accounts.inactive.warning-30") == 1
    assert rows(result, "accounts.inactive.warning-7") == 0
    warning = mail.outbox[-1]
    assert warning.to == [person.email]
    assert "supprimé pour inactivité" in warning.subject
    assert "6 janvier 2028" in warning.body  # 30 days after this run, in French
    assert rows(run(days(702)), "accounts.inactive.warning-30") == 0  # not twice

    result = run(days(724))
    assert rows(result, "accounts.inactive.warning-7") == 1
    assert rows(result, "accounts.inactive") == 0
    assert len(mail.outbox) == 2

    # Deleted only once the last warning has had its full 7 days.
    assert rows(run(days(730)), "accounts.inactive") == 0
    result = run(days(731))
    assert rows(result, "accounts.inactive") == 1
    assert not User.objects.filter(pk=person.pk).exists()
    assert User.objects.filter(pk=active.pk).exists()
    assert not InactivityNotice.objects.exists()


def test_signing_in_again_cancels_the_countdown(at_start, run):
    person = factories.UserFactory()
    User.objects.filter(pk=person.pk).update(last_login=START)
    run(days(701))
    run(days(724))
    User.objects.filter(pk=person.pk).update(last_login=days(725))
    assert rows(run(days(740)), "accounts.inactive") == 0
    assert User.objects.filter(pk=person.pk).exists()


def test_administrators_are_never_deleted_automatically(at_start, run):
    admin = factories.UserFactory(is_superuser=True, is_staff=True)
    User.objects.filter(pk=admin.pk).update(last_login=START)
    for day in (701, 724, 800):
        run(days(day))
    assert User.objects.filter(pk=admin.pk).exists()


def test_export_files_go_after_7_days(at_start, run):
    person = factories.UserFactory()
    export = exports.request_export(person, person)
    storage = DataExport._meta.get_field("file").storage
    assert storage.exists(export.file.name)
    assert rows(run(days(6)), "consent.exports") == 0
    assert rows(run(days(8)), "consent.exports") == 1
    assert not DataExport.objects.exists()
    assert not storage.exists(export.file.name)


def test_consent_records_go_5_years_after_their_end(at_start, run):
    person = factories.UserFactory()
    records.set_notifications(person, True)
    with time_machine.travel(days(100), tick=False):
        records.set_notifications(person, False)  # ends the first record at day 100
    assert ConsentRecord.objects.filter(purpose="notifications").count() == 2
    assert rows(run(days(100 + 1826)), "consent.records") == 0
    result = run(days(100 + 1828))
    assert rows(result, "consent.records") == 1
    assert ConsentRecord.objects.filter(purpose="notifications").get().decision == "withdrawn"


def test_cookie_choices_end_after_6_months_and_go_5_years_later(client, site_tree, run):
    with time_machine.travel(START, tick=False):
        client.post("/cookies/", {"choice": "refuse_all"})
    record = ConsentRecord.objects.get()
    assert record.ended_at == START + timedelta(days=182)
    assert rows(run(days(182 + 1826)), "consent.records") == 0
    assert rows(run(days(182 + 1828)), "consent.records") == 1


def test_expired_sessions_and_stale_session_entries_go(at_start, run):
    person = factories.UserFactory()
    store = SessionStore()
    store["x"] = 1
    store.set_expiry(60)
    store.create()
    UserSession.objects.create(
        user=person, session_key=store.session_key, ip="203.0.113.7", user_agent="Firefox"
    )
    result = run(days(15))
    assert rows(result, "sessions.expired") == 1
    assert rows(result, "usersessions.stale") == 1
    assert not Session.objects.exists() and not UserSession.objects.exists()


def test_dry_run_counts_and_changes_nothing(at_start):
    factories.UserFactory(verified=False)
    out = StringIO()
    with time_machine.travel(days(8), tick=False):
        call_command("purge_expired_data", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "Simulation" in text and "accounts.unverified" in text
    assert "Total : 1 ligne(s) à traiter" in text
    assert User.objects.count() == 1
    assert PurgeRun.objects.get().dry_run


def test_the_command_prints_a_table_and_is_idempotent(at_start):
    factories.UserFactory(verified=False)
    factories.UserFactory(verified=False)
    out = StringIO()
    with time_machine.travel(days(8), tick=False):
        call_command("purge_expired_data", "--batch-size", "1", stdout=out)
        call_command("purge_expired_data", stdout=(second := StringIO()))
    text = out.getvalue()
    assert "règle" in text and "lignes" in text
    assert "accounts.unverified : 1 ligne(s) traitée(s)…" in text  # progress, batch by batch
    assert "accounts.unverified : 2 ligne(s) traitée(s)…" in text
    assert "Total : 2 ligne(s) traitée(s)" in text
    assert "Total : 0 ligne(s) traitée(s)" in second.getvalue()
    assert [run.total for run in PurgeRun.objects.order_by("started_at", "pk")] == [2, 0]


def test_a_second_run_at_the_same_time_does_nothing(at_start, run):
    factories.UserFactory(verified=False)
    purge._take_lock(days(8))  # a first run is holding the lock
    result = run(days(8))
    assert result.status == PurgeStatus.SKIPPED
    assert User.objects.count() == 1
    out = StringIO()
    with time_machine.travel(days(8), tick=False):
        call_command("purge_expired_data", stdout=out)
    assert "Une autre purge est en cours" in out.getvalue()


def test_a_crashed_runs_lock_expires(at_start, run):
    factories.UserFactory(verified=False)
    purge._take_lock(days(1))
    assert run(days(8)).status == PurgeStatus.DONE
    assert User.objects.count() == 0
    from consent.models import PurgeLock

    assert not PurgeLock.objects.filter(name=LOCK_NAME).exists()


def test_a_failing_rule_rolls_back_alone_and_is_reported(at_start, run):
    doomed = [factories.UserFactory(verified=False) for _ in range(3)]
    unverified = registry.rules["accounts.unverified"]
    calls = []

    def fail_half_way(rows, now):
        calls.append(1)
        if len(calls) == 2:  # the second batch, after the first was applied
            raise RuntimeError("disque plein")
        return unverified.apply(rows, now)

    broken = RetentionRule(
        key="test.broken",
        label="Règle en panne",
        model="accounts.User",
        setting="unverified_accounts",
        action="delete",
        due=unverified.due,
        apply=fail_half_way,
    )
    person = factories.UserFactory()
    export = exports.request_export(person, person)
    rules = [broken, registry.rules["consent.exports"]]
    result = run(days(8), rules=rules, batch_size=1)
    assert result.status == PurgeStatus.FAILED
    assert rows(result, "test.broken") == 0
    assert "disque plein" in result.errors[0]["error"]
    assert User.objects.filter(pk__in=[u.pk for u in doomed]).count() == 3  # rolled back
    assert rows(result, "consent.exports") == 1  # the other rule still ran
    assert not DataExport.objects.filter(pk=export.pk).exists()


def test_the_command_reports_a_failure_with_a_non_zero_exit(at_start, monkeypatch):
    def broken_due(now, cutoff):
        raise RuntimeError("base indisponible")

    rule = registry.rules["consent.exports"]
    monkeypatch.setitem(
        registry.rules,
        "consent.exports",
        RetentionRule(**{**rule.__dict__, "due": broken_due}),
    )
    out, err = StringIO(), StringIO()
    with pytest.raises(SystemExit), time_machine.travel(days(8), tick=False):
        call_command("purge_expired_data", stdout=out, stderr=err)
    assert "consent.exports en échec, annulée" in err.getvalue()
    assert "ÉCHEC" in out.getvalue()


def test_deleted_inactive_accounts_lose_email_addresses(at_start, run):
    person = factories.UserFactory()
    User.objects.filter(pk=person.pk).update(last_login=START)
    for day in (701, 724, 731):
        run(days(day))
    assert not EmailAddress.objects.filter(user_id=person.pk).exists()
