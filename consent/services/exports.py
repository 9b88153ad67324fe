"""The privacy centre's download: a ZIP with one JSON and one CSV file per kind of data
the registry declares, and a README in French saying what each file holds."""

import csv
import io
import json
import logging
import re
import zipfile
from datetime import date, datetime

from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from consent import permissions
from consent.models import DataExport
from consent.registry import registry
from consent.services.limits import hit

logger = logging.getLogger(__name__)


def _plain(value):
    if isinstance(value, datetime):
        return (
            timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


# Tab and carriage return too: some spreadsheets skip them and read the formula after.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# The control characters a spreadsheet cannot hold: XLSX (XML 1.0) has no way to write
# them, openpyxl raises on them, and one such character in a single answer would make
# the whole export fail for good. Tab, line feed and carriage return are allowed.
ILLEGAL_IN_SPREADSHEETS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def spreadsheet_cell(value):
    """A spreadsheet runs a cell starting with = + - @ as a formula (CSV injection):
    such text gets a leading apostrophe in CSV and XLSX files; JSON keeps it as typed.
    Characters a spreadsheet cannot hold are dropped first (so they cannot hide a
    formula either). Numbers stay numbers."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_IN_SPREADSHEETS.sub("", value)
    if value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def collect(user) -> list[tuple]:
    """[(entry, columns, rows)] for every registered kind of data, rows as plain dicts."""
    collected = []
    for entry in registry.ordered_entries():
        if entry.export is None:
            continue
        rows = [
            {key: _plain(value) for key, value in row.items()} for row in entry.export(entry, user)
        ]
        columns = list(getattr(entry.export, "columns", ()) or (rows[0].keys() if rows else ()))
        collected.append((entry, columns, rows))
    return collected


def json_lines(rows) -> str:
    """A JSON array with one row per line: as readable as an indented file, and written
    by the C encoder (an indented dump runs in pure Python, 10× slower)."""
    if not rows:
        return "[]"
    return "[\n" + ",\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n]"


def build_zip(user) -> bytes:
    buffer = io.BytesIO()
    collected = collect(user)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        summary = []
        for entry, columns, rows in collected:
            if not rows:
                # Only what concerns the person: no empty file for each table of the
                # site (most are the staff's) that holds nothing about them.
                continue
            name = entry.export_name
            archive.writestr(f"{name}.json", json_lines(rows))
            text = io.StringIO()
            # Semicolons and a BOM: what a spreadsheet in French opens as columns, with
            # the accents intact.
            writer = csv.DictWriter(text, fieldnames=columns, extrasaction="ignore", delimiter=";")
            writer.writeheader()
            writer.writerows(
                {key: spreadsheet_cell(value) for key, value in row.items()} for row in rows
            )
            archive.writestr(f"{name}.csv", "\ufeff" + text.getvalue())
            summary.append(
                {
                    "file": name,
                    "category": str(entry.category),
                    "purpose": str(entry.purpose),
                    "rows": len(rows),
                }
            )
        archive.writestr("index.json", json.dumps(summary, ensure_ascii=False, indent=2))
        archive.writestr(
            "LISEZMOI.txt",
            render_to_string(
                "consent/export_readme.txt",
                {"summary": summary, "user": user, "now": timezone.now()},
            ),
        )
    return buffer.getvalue()


def request_export(actor, user) -> DataExport:
    """Build the ZIP of everything held about `user`, kept for download a few days."""
    permissions.require(actor, permissions.EXPORT_DATA, user)
    hit(actor, "export", limit=5, period=3600)
    content = build_zip(user)
    with transaction.atomic():
        export = DataExport(user=user, size=len(content))
        export.file.save(f"{export.token}.zip", ContentFile(content), save=False)
        export.save()
    logger.info("data export %s created for account %s", export.pk, user.pk)
    return export


def export_for_download(actor, token) -> DataExport | None:
    """The export with this token if it belongs to `actor`; None otherwise (whoever
    asks for another person's export learns nothing, not even that it exists)."""
    if not actor.is_authenticated:
        return None
    return DataExport.objects.filter(token=token, user=actor).first()


def delete_export_files(rows) -> int:
    """Delete export rows and, once that commits, their files."""
    names = list(rows.values_list("file", flat=True))
    count, _per_model = rows.delete()
    storage = DataExport._meta.get_field("file").storage

    def remove_files():
        for name in names:
            try:
                storage.delete(name)
            except OSError:
                logger.warning("export file could not be deleted")

    transaction.on_commit(remove_files)
    return count
