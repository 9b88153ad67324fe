"""Team exports of a consultation: comments, ballots, free-text answers and
figures as CSV or XLSX. People appear under a pseudonym only, stable within one
consultation (so a reader sees that two comments come from the same person) and
different from one consultation to the next, derived with the secret key.

Made for French offices: headers and values in the team's language (French by
default), CSV separated by semicolons with a UTF-8 BOM and dates as « 03/12/2026 14:05 »
(what French Excel and LibreOffice open as dates, accents intact), real date cells in
XLSX. The figures export covers the period chosen on the dashboard.
"""

import csv
import hashlib
import hmac
import io
from datetime import date, datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from consent.services.exports import spreadsheet_cell
from participation import permissions

KINDS = ("comments", "ballots", "answers", "figures")
FORMATS = ("csv", "xlsx")
CSV_DATETIME = "%d/%m/%Y %H:%M"
CSV_DATE = "%d/%m/%Y"
XLSX_DATETIME = "dd/mm/yyyy hh:mm"
XLSX_DATE = "dd/mm/yyyy"


def neutralise(values):
    return [spreadsheet_cell(value) for value in values]


def pseudonym(consultation_id: int, user_id) -> str:
    if user_id is None:
        return "Participant·e supprimé·e"
    digest = hmac.new(
        settings.SECRET_KEY.encode(),
        f"export:{consultation_id}:{user_id}".encode(),
        hashlib.sha256,
    ).hexdigest()
    return f"P-{digest[:10]}"


def _local(value):
    """A naive local datetime (spreadsheets know no time zones), or None."""
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def _yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def comment_rows(consultation, **_period):
    from participation.models import Comment, Position, State

    yield [
        _("Number"),
        _("Reply to"),
        _("Level"),
        _("Author (pseudonym)"),
        _("Official answer"),
        _("State"),
        _("Position"),
        _("Text"),
        _("Supports"),
        _("Replies"),
        _("Posted at"),
    ]
    states, positions = dict(State.choices), dict(Position.choices)
    for comment in (
        Comment.objects.filter(consultation=consultation).order_by("pk").iterator(chunk_size=2000)
    ):
        yield [
            comment.pk,
            comment.parent_id or "",
            comment.depth + 1,
            pseudonym(consultation.pk, comment.author_id),
            _yes_no(comment.is_official),
            str(states.get(comment.state, comment.state)),
            str(positions.get(comment.position, comment.position or "")),
            "" if comment.is_placeholder else comment.body,
            comment.supports_count,
            comment.replies_count,
            _local(comment.created_at),
        ]


def ballot_rows(consultation, **_period):
    from participation.models import Selection

    yield [_("Ballot"), _("Voter (pseudonym)"), _("Poll"), _("Question"), _("Choice"), _("Cast at")]
    selections = (
        Selection.objects.filter(ballot__poll__consultation=consultation)
        .select_related("ballot__poll", "question", "choice")
        .order_by("ballot_id", "pk")
    )
    for selection in selections.iterator(chunk_size=2000):
        ballot = selection.ballot
        yield [
            ballot.pk,
            pseudonym(consultation.pk, ballot.voter_id),
            ballot.poll.title,
            selection.question.text,
            selection.choice.label,
            _local(ballot.created_at),
        ]


def answer_rows(consultation, **_period):
    from participation.models import TextAnswer

    yield [
        _("Ballot"),
        _("Voter (pseudonym)"),
        _("Poll"),
        _("Question"),
        _("Answer"),
        _("Written at"),
    ]
    answers = (
        TextAnswer.objects.filter(ballot__poll__consultation=consultation)
        .select_related("ballot__poll", "question")
        .order_by("pk")
    )
    for answer in answers.iterator(chunk_size=2000):
        yield [
            answer.ballot_id,
            pseudonym(consultation.pk, answer.ballot.voter_id),
            answer.ballot.poll.title,
            answer.question.text,
            answer.text,
            _local(answer.created_at),
        ]


def figure_columns() -> list[tuple[str, str]]:
    from participation.models import DailyFigures
    from participation.queries import community as queries

    labels = {"visits": _("Visits"), "shares": _("Shares")}
    for name in queries.FIGURE_FIELDS:
        labels[name] = str(DailyFigures._meta.get_field(name).verbose_name).capitalize()
    return list(labels.items())


def figure_rows(consultation, *, start=None, end=None):
    """One row per day of the period (the consultation's whole life without one)."""
    from participation.queries import community as queries

    if start is None or end is None:
        result = queries.lifetime(consultation)
    else:
        result = queries.figures(consultation=consultation, start=start, end=end)
    columns = figure_columns()
    yield [_("Day"), *(label for _name, label in columns)]
    for row in result.series:
        if start is not None or any(row[name] for name, _label in columns):
            yield [row["period"], *(row[name] for name, _label in columns)]


ROWS = {
    "comments": comment_rows,
    "ballots": ballot_rows,
    "answers": answer_rows,
    "figures": figure_rows,
}


def _csv_value(value):
    if isinstance(value, datetime):
        return value.strftime(CSV_DATETIME)
    if isinstance(value, date):
        return value.strftime(CSV_DATE)
    return "" if value is None else value


def export(
    *, user, consultation, kind: str, fmt: str, start=None, end=None
) -> tuple[bytes, str, str]:
    """(content, content type, file name). Raises PermissionDenied for anyone outside
    the communication team and administrators. `start`/`end` (dates) limit the
    figures to the period chosen on the dashboard."""
    permissions.require(user, permissions.EXPORT_CONTRIBUTIONS, consultation)
    if kind not in ROWS or fmt not in FORMATS:
        raise ValueError(kind, fmt)
    rows = (neutralise(row) for row in ROWS[kind](consultation, start=start, end=end))
    period = f"-{start.isoformat()}-{end.isoformat()}" if kind == "figures" and start else ""
    name = f"consultation-{consultation.pk}-{kind}{period}-{timezone.localdate().isoformat()}.{fmt}"
    if fmt == "csv":
        text = io.StringIO()
        # Semicolons: French Excel reads a comma as the decimal separator, not a column.
        writer = csv.writer(text, delimiter=";")
        writer.writerows([_csv_value(value) for value in row] for row in rows)
        # A BOM so Excel reads UTF-8 (accents) instead of the Windows code page.
        return ("\ufeff" + text.getvalue()).encode(), "text/csv; charset=utf-8", name
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(dict(export_labels())[kind])[:31])
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, (datetime, date)):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = XLSX_DATETIME if isinstance(value, datetime) else XLSX_DATE
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return (
        out.getvalue(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        name,
    )


def export_labels():
    return [
        ("comments", _("Comments")),
        ("ballots", _("Ballots")),
        ("answers", _("Free-text answers")),
        ("figures", _("Figures")),
    ]
