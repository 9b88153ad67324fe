"""The registry of personal data: what each app holds about people, and its rules.

Each app declares its own data in a `privacy.py` module, discovered at start-up the
way Django discovers `admin.py` (consent never imports the apps above it):

    # participation/privacy.py
    from consent import registry
    from consent.registry import LegalBasis, anonymise, by_choice, delete, fields

    registry.register_data(
        "participation.Comment",
        user_fields=["author"],
        category=_("Comments"), purpose=_("…"), legal_basis=LegalBasis.PUBLIC_INTEREST,
        recipients=_("…"), retention=_("…"),
        export=fields("id", "consultation_id", "body", "created_at"),
        erase=by_choice(keep=anonymise(), erase=delete()),
        contribution=True,
    )

Four things are built from it, so they never drift from the code: the ZIP export of
the privacy centre, the erasure of an account, `purge_expired_data`, and the public
"Données personnelles" page. `tests/consent/test_registry.py` fails when a model with
a link to a user is missing here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _


class LegalBasis(models.TextChoices):
    """Article 6 GDPR. A public body relies on its public-interest mission, except for
    what people may freely refuse (consent) and what the law makes it keep."""

    PUBLIC_INTEREST = "public_interest", _("Public-interest task (GDPR art. 6.1.e)")
    CONSENT = "consent", _("Consent (GDPR art. 6.1.a)")
    LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation (GDPR art. 6.1.c)")


class Choice(models.TextChoices):
    """What a person deleting their account chooses for their public contributions."""

    ANONYMISE = "anonymise", _("Keep my contributions, shown as « Participant·e supprimé·e »")
    ERASE = "erase", _("Erase my contributions")


# Shown in place of the author of a contribution whose account was deleted.
DELETED_PARTICIPANT = _("Participant·e supprimé·e")


# --- Export and erasure building blocks -------------------------------------------------

Exporter = Callable[["DataEntry", object], Iterable[dict]]
Eraser = Callable[["DataEntry", Sequence[int], str], int]


def fields(*names: str, order_by: Sequence[str] = ("pk",)) -> Exporter:
    """Export these fields (lookups like "page__title" allowed) of the person's rows."""

    def export(entry: DataEntry, user) -> Iterable[dict]:
        return entry.rows_of([user.pk]).order_by(*order_by).values(*names).iterator()

    export.columns = names
    return export


def delete() -> Eraser:
    """Delete the person's rows (and what cascades from them)."""

    def erase(entry: DataEntry, user_ids: Sequence[int], choice: str) -> int:
        count, _per_model = entry.rows_of(user_ids).delete()
        return count

    erase.action = "delete"
    return erase


def unlink(**replacements) -> Eraser:
    """Keep the rows, cut their link to the person (user fields set to NULL), and
    overwrite other personal fields with `replacements` ({"ip_address": None})."""

    def erase(entry: DataEntry, user_ids: Sequence[int], choice: str) -> int:
        total = 0
        for name in entry.user_fields:
            total += entry.model_class.objects.filter(**{f"{name}__in": user_ids}).update(
                **{name: None}, **replacements
            )
        return total

    erase.action = "unlink"
    return erase


anonymise = unlink  # the same operation, named as people say it for contributions


def by_choice(*, keep: Eraser, erase: Eraser) -> Eraser:
    """For public contributions: the person chooses (Choice) between keeping them
    anonymised and erasing them."""

    def run(entry: DataEntry, user_ids: Sequence[int], choice: str) -> int:
        return (erase if choice == Choice.ERASE else keep)(entry, user_ids, choice)

    run.action = "choice"
    return run


# --- Data entries ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DataEntry:
    """One model holding personal data: why, on what basis, for whom, how long, and
    how it is exported and erased."""

    model: str  # "app_label.ModelName"
    user_fields: tuple[str, ...]
    category: str
    purpose: str
    legal_basis: str
    recipients: str
    retention: str
    export: Exporter | None
    erase: Eraser
    export_name: str
    order: int = 100
    contribution: bool = False
    retention_rules: tuple[str, ...] = ()
    label: str = ""
    # A page of the site where the person sees or manages these data (URL name, label),
    # linked from « Mes données ».
    page: tuple[str, str] | None = None

    @property
    def name(self) -> str:
        """What people read: the given label, or the model's plural name."""
        return self.label or self.model_class._meta.verbose_name_plural

    @property
    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    @property
    def key(self) -> str:
        return self.model.lower()

    def rows_of(self, user_ids: Sequence[int]) -> QuerySet:
        """The rows linked to these people through any of the user fields."""
        condition = Q()
        for name in self.user_fields:
            condition |= Q(**{f"{name}__in": user_ids})
        return self.model_class._default_manager.filter(condition)

    def legal_basis_label(self) -> str:
        return LegalBasis(self.legal_basis).label


@dataclass
class Registry:
    entries: dict[str, DataEntry] = field(default_factory=dict)
    rules: dict[str, RetentionRule] = field(default_factory=dict)

    def register_data(
        self,
        model: str,
        *,
        user_fields: Sequence[str],
        category,
        purpose,
        legal_basis: str,
        recipients,
        retention,
        erase: Eraser,
        export: Exporter | None = None,
        export_name: str = "",
        order: int = 100,
        contribution: bool = False,
        retention_rules: Sequence[str] = (),
        label="",
        page: tuple[str, str] | None = None,
    ) -> DataEntry:
        """Declare a model holding personal data. `erase` runs for a batch of account
        ids when accounts are deleted (lower `order` first; the account itself last)."""
        entry = DataEntry(
            model=model,
            user_fields=tuple(user_fields),
            category=category,
            purpose=purpose,
            legal_basis=legal_basis,
            recipients=recipients,
            retention=retention,
            export=export,
            erase=erase,
            export_name=export_name or model.replace(".", "-").lower(),
            order=order,
            contribution=contribution,
            retention_rules=tuple(retention_rules),
            label=label,
            page=page,
        )
        self.entries[entry.key] = entry
        return entry

    def register_rule(self, rule: RetentionRule) -> RetentionRule:
        self.rules[rule.key] = rule
        return rule

    def entry_for(self, model) -> DataEntry | None:
        label = model if isinstance(model, str) else model._meta.label
        return self.entries.get(label.lower())

    def ordered_entries(self) -> list[DataEntry]:
        return sorted(self.entries.values(), key=lambda entry: (entry.order, entry.model))


# --- Retention rules -------------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionRule:
    """Rows that have been kept long enough, and what to do with them.

    `due(now, cutoff)` returns the queryset of rows to treat (cutoff = now − days);
    `apply(rows, now)` treats one batch of them and returns how many it affected.
    Both must be safe to run again: a second run finds nothing left to do.
    `atomic`: the whole rule runs in one transaction (a failure undoes all of it);
    rules that send e-mails commit batch by batch, so nothing is sent twice.
    """

    key: str
    label: str
    model: str
    setting: str  # key of settings.TRIBUNE_RETENTION_DAYS
    action: str  # shown on the public page: "delete", "anonymise", "unlink", "warn"
    due: Callable[[datetime, datetime], QuerySet]
    apply: Callable[[QuerySet, datetime], int]
    offset_days: int = 0  # for warnings: how many days before the end
    atomic: bool = True

    @property
    def model_class(self):
        return apps.get_model(self.model)

    @property
    def days(self) -> int:
        return int(settings.TRIBUNE_RETENTION_DAYS[self.setting]) - self.offset_days

    def cutoff(self, now: datetime) -> datetime:
        return now - timedelta(days=self.days)

    def action_label(self) -> str:
        return ACTIONS.get(self.action, self.action)


ACTIONS = {
    "delete": _("deleted"),
    "anonymise": _("anonymised"),
    "unlink": _("unlinked from the account"),
    "warn": _("warning e-mail"),
}


def older_than(model: str, date_field: str, extra: Q | None = None):
    """`due` for the common case: rows whose `date_field` is before the cutoff."""

    def due(now, cutoff):
        rows = apps.get_model(model)._default_manager.filter(**{f"{date_field}__lt": cutoff})
        return rows.filter(extra) if extra is not None else rows

    return due


def delete_rows(rows: QuerySet, now) -> int:
    count, _per_model = rows.delete()
    return count


def clear_fields(**values):
    """`apply` that overwrites fields (IP address, user agent…) and keeps the row."""

    def apply(rows: QuerySet, now) -> int:
        return rows.update(**values)

    return apply


def network_data_rule(
    model: str, *, date_field: str, fields_to_clear: dict, label
) -> RetentionRule:
    """IP addresses and user agents attached to contributions: erased after
    TRIBUNE_RETENTION_DAYS["contribution_network_data"] (1 year by default), the rest
    of the row kept. `fields_to_clear` maps field → empty value ({"ip_address": None})."""
    not_yet_cleared = Q()
    for name, empty in fields_to_clear.items():
        not_yet_cleared |= (
            ~Q(**{name: empty}) if empty is not None else Q(**{f"{name}__isnull": False})
        )
    return RetentionRule(
        key=f"{model.lower()}.network",
        label=label,
        model=model,
        setting="contribution_network_data",
        action="anonymise",
        due=older_than(model, date_field, not_yet_cleared),
        apply=clear_fields(**fields_to_clear),
    )


registry = Registry()
register_data = registry.register_data
register_rule = registry.register_rule


def autodiscover():
    """Import every installed app's `privacy` module (called from ConsentConfig.ready)."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("privacy")
