"""Team exports of a consultation (issue 7): comments, ballots, free-text answers and
figures as CSV or XLSX. People appear under a pseudonym only, stable within one
consultation (so a reader sees that two comments come from the same person) and
different from one consultation to the next, derived with the secret key."""

import csv
import hashlib
import hmac
import io

from django.conf import settings
from django.utils import timezone

from consent.services.exports import spreadsheet_cell
from participation import permissions

KINDS = ("comments", "ballots", "answers", "figures")
FORMATS = ("csv", "xlsx")


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
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def comment_rows(consultation):
    from participation.models import Comment

    yield [
        "id",
        "parent",
        "depth",
        "author",
        "official",
        "state",
        "position",
        "text",
        "supports",
        "replies",
        "posted_at",
    ]
    for comment in (
        Comment.objects.filter(consultation=consultation).order_by("pk").iterator(chunk_size=2000)
    ):
        yield [
            comment.pk,
            comment.parent_id or "",
            comment.depth,
            pseudonym(consultation.pk, comment.author_id),
            "oui" if comment.is_official else "non",
            comment.state,
            comment.position,
            "" if comment.is_placeholder else comment.body,
            comment.supports_count,
            comment.replies_count,
            _local(comment.created_at),
        ]


def ballot_rows(consultation):
    from participation.models import Selection

    yield ["ballot", "voter", "poll", "question", "choice", "cast_at"]
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


def answer_rows(consultation):
    from participation.models import TextAnswer

    yield ["ballot", "voter", "poll", "question", "answer", "written_at"]
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


def figure_rows(consultation):
    from participation.queries import community as queries

    result = queries.lifetime(consultation)
    names = ["visits", "shares", *queries.FIGURE_FIELDS]
    yield ["day", *names]
    for row in result.series:
        if any(row[name] for name in names):
            yield [row["period"].isoformat(), *(row[name] for name in names)]


ROWS = {
    "comments": comment_rows,
    "ballots": ballot_rows,
    "answers": answer_rows,
    "figures": figure_rows,
}


def export(*, user, consultation, kind: str, fmt: str) -> tuple[bytes, str, str]:
    """(content, content type, file name). Raises PermissionDenied for anyone outside
    the communication team and administrators."""
    permissions.require(user, permissions.EXPORT_CONTRIBUTIONS, consultation)
    if kind not in ROWS or fmt not in FORMATS:
        raise ValueError(kind, fmt)
    rows = (neutralise(row) for row in ROWS[kind](consultation))
    name = f"consultation-{consultation.pk}-{kind}-{timezone.localdate().isoformat()}.{fmt}"
    if fmt == "csv":
        text = io.StringIO()
        csv.writer(text).writerows(rows)
        # A BOM so Excel opens accents correctly.
        return ("\ufeff" + text.getvalue()).encode(), "text/csv; charset=utf-8", name
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(kind)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return (
        out.getvalue(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        name,
    )
