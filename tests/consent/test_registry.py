"""The registry covers every model linked to a person, and the public page says so."""

import re

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model

from consent.registry import LegalBasis, registry


def user_links(model):
    """Fields of `model` itself (not inherited from a parent model) pointing at the user."""
    User = get_user_model()
    return {
        field.name
        for field in model._meta.get_fields()
        if field.is_relation
        and not field.auto_created
        and field.concrete
        and field.related_model is User
        and field.model is model
    }


def test_every_model_linked_to_a_user_is_registered():
    """Add a model with a link to the user (a comment's author, a ballot's voter…) and
    this fails until its app's privacy.py says how it is exported and erased."""
    User = get_user_model()
    missing = []
    for model in apps.get_models(include_auto_created=True):
        links = user_links(model)
        if not links or (model._meta.auto_created and model._meta.auto_created is User):
            continue  # M2M tables of the user itself (groups, permissions) go with it
        entry = registry.entry_for(model)
        if entry is None:
            missing.append(model._meta.label)
        elif not links <= set(entry.user_fields):
            missing.append(f"{model._meta.label} ({', '.join(links - set(entry.user_fields))})")
    assert not missing, f"absent du registre de consent (privacy.py) : {missing}"


def test_the_user_model_is_registered_and_erased_last():
    entries = registry.ordered_entries()
    assert entries[-1].model_class is get_user_model()


def test_every_entry_is_complete_and_points_at_real_fields():
    for entry in registry.entries.values():
        model = entry.model_class
        for name in entry.user_fields:
            field = model._meta.pk if name == "pk" else model._meta.get_field(name)
            assert field.is_relation or name == "pk", (entry.model, name)
        assert entry.legal_basis in LegalBasis.values
        assert all(
            str(text) for text in (entry.category, entry.purpose, entry.recipients, entry.retention)
        )
        assert entry.export is not None and callable(entry.erase)
    names = [entry.export_name for entry in registry.entries.values()]
    assert len(names) == len(set(names)), "two entries would write the same export file"
    # File names of « Mes données » in French, one style: lowercase words and hyphens.
    english = {"comments", "supports", "reports", "bans", "follows", "feedback", "exports"}
    for name in names:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", name), name
        assert name not in english, name


def test_every_rule_reads_a_setting_with_the_issue_defaults():
    defaults = {
        "unverified_accounts": 7,
        "inactive_accounts": 730,
        "contribution_network_data": 365,
        "data_exports": 7,
        "consent_records": 5 * 365 + 1,
    }
    for key, days in defaults.items():
        assert settings.TRIBUNE_RETENTION_DAYS[key] == days
    assert settings.TRIBUNE_INACTIVITY_WARNING_DAYS == (30, 7)
    for rule in registry.rules.values():
        assert rule.setting in settings.TRIBUNE_RETENTION_DAYS, rule.key
        for name in rule_entry_keys(rule):
            assert name in registry.rules


def rule_entry_keys(rule):
    return [key for entry in registry.entries.values() for key in entry.retention_rules]


def test_the_public_page_is_generated_from_the_registry(client, defaults, site_tree, settings):
    settings.TRIBUNE_RETENTION_DAYS = {**settings.TRIBUNE_RETENTION_DAYS, "data_exports": 10}
    html = client.get("/donnees-personnelles/").content.decode()
    assert "Politique de confidentialité" in html
    for entry in registry.entries.values():
        assert str(entry.purpose).replace("'", "&#x27;") in html, entry.model
    for rule in registry.rules.values():
        assert str(rule.label).replace("'", "&#x27;") in html, rule.key
    assert "Mission d’intérêt public" in html and "Consentement" in html
    assert "10 jours" in html  # the setting, not a copy of it
    assert "Mesure d&#x27;audience" in html and "tribune_visite" in html


def test_the_building_blocks_participation_will_use(db, defaults):
    """by_choice / unlink / delete / fields and network_data_rule, on models that exist
    in this branch (comments and ballots arrive with participation's privacy.py)."""
    from datetime import timedelta

    from allauth.usersessions.models import UserSession
    from django.utils import timezone

    from consent.models import ConsentRecord
    from consent.registry import (
        Choice,
        Registry,
        by_choice,
        delete,
        fields,
        network_data_rule,
        unlink,
    )
    from consent.services import records
    from consent.services.purge import run_rule
    from tests import factories

    local = Registry()
    entry = local.register_data(
        "consent.ConsentRecord",
        user_fields=["user"],
        category="Contributions",
        purpose="Débattre",
        legal_basis=LegalBasis.PUBLIC_INTEREST,
        recipients="Le public",
        retention="Durée de la consultation",
        export=fields("purpose", "decision"),
        erase=by_choice(keep=unlink(), erase=delete()),
        contribution=True,
    )
    keeper, eraser = factories.UserFactory(), factories.UserFactory()
    for person in (keeper, eraser):
        records.set_notifications(person, True)
    assert list(entry.export(entry, keeper))[-1] == {
        "purpose": "notifications",
        "decision": "granted",
    }
    entry.erase(entry, [keeper.pk], Choice.ANONYMISE)
    entry.erase(entry, [eraser.pk], Choice.ERASE)
    assert ConsentRecord.objects.filter(user=None, subject=records.subject_of(user=keeper)).exists()
    assert not ConsentRecord.objects.filter(subject=records.subject_of(user=eraser)).exists()

    rule = network_data_rule(
        "usersessions.UserSession",
        date_field="created_at",
        fields_to_clear={"user_agent": ""},
        label="Navigateurs des sessions",
    )
    session = UserSession.objects.create(
        user=keeper, session_key="k" * 32, ip="198.51.100.4", user_agent="Firefox"
    )
    UserSession.objects.filter(pk=session.pk).update(
        created_at=timezone.now() - timedelta(days=400)
    )
    assert run_rule(rule, now=timezone.now()).rows == 1
    assert UserSession.objects.get(pk=session.pk).user_agent == ""
    assert run_rule(rule, now=timezone.now()).rows == 0  # already cleared
