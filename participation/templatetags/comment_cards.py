"""The HTML of comments, built in Python.

A thread page shows up to 80 comments. Through nested template includes each one cost
about a millisecond (variable lookups, escaping, translation tags), and still a third
of that through format_html; built with plain strings and the standard library's
escape it costs a few dozen microseconds, which keeps the page within its budget
(benchmarks/thread.py). Every value from the database goes through `_e` (escape) or
comes from `comment_text` (escaped, then linked). The rare, person-specific parts
(editing and deleting one's own comment) stay in a template,
participation/comments/own_tools.html.
"""

import copy
from html import escape

from django.template.loader import render_to_string
from django.utils.formats import date_format, get_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime
from django.utils.translation import get_language, gettext, gettext_noop, ngettext

from participation.models import State
from participation.queries.live import author_key

_LABELS: dict[str, dict] = {}


def _e(value) -> str:
    return escape(str(value), quote=True)


def labels() -> dict:
    """Every fixed text of a comment, translated once per language."""
    language = get_language()
    found = _LABELS.get(language)
    if found is None:
        from django.utils.dates import MONTHS

        found = _LABELS[language] = {
            key: _e(gettext(text))
            for key, text in {
                "support": gettext_noop("Support"),
                "official": gettext_noop("Official answer"),
                "permalink": gettext_noop("permanent link"),
                "edited": gettext_noop("edited"),
                "deleted": gettext_noop("Comment deleted by its author"),
                "hidden": gettext_noop("Comment hidden by the moderators"),
                "pending": gettext_noop(
                    "Awaiting moderation: only you can see this comment for now."
                ),
                "in_reply_to": gettext_noop("In reply to"),
                "a_comment": gettext_noop("a comment"),
                "reply": gettext_noop("Reply"),
                "to": gettext_noop("to"),
                "deleted_account": gettext_noop("Deleted account"),
                "a_deleted_account": gettext_noop("a deleted account"),
                "report": gettext_noop("Report"),
                "this_comment": gettext_noop("this comment"),
                "replies_shown": gettext_noop("Replies shown: {count}."),
            }.items()
        }
        found["months"] = {number: str(name) for number, name in MONTHS.items()}
        found["datetime_format"] = get_format("DATETIME_FORMAT")
        from participation.models import Position

        found["positions"] = {value: _e(label) for value, label in Position.choices}
    return found


def _date(value, words) -> str:
    # French (the site's language): "26 novembre 2026 09:03" without dateformat's cost.
    if words["datetime_format"] == "j F Y H:i":
        return f"{value.day} {words['months'][value.month]} {value.year} {value:%H:%M}"
    return date_format(value, "DATETIME_FORMAT")


def _text_html(body: str) -> str:
    from participation.templatetags.comment_tags import comment_text

    return comment_text(body)


def author_name(comment) -> str:
    if comment.author_id:
        return comment.author.display_name
    return gettext("Deleted account")


def support_html(comment, csrf_token, error="") -> SafeString:
    words = labels()
    pk = comment.pk
    count = int(comment.supports_count)
    if comment.may_support or comment.viewer_supports:
        # French agrees with the number: « 0 soutien », « 1 soutien », « 2 soutiens ».
        so_far = ngettext("support so far", "supports so far", count)
        inner = (
            f'<form method="post" action="{comment.links["support"]}" '
            f'data-enhance="support-{pk}" class="inline-form">'
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{_e(csrf_token)}">'
            f'<input type="hidden" name="supported" '
            f'value="{"0" if comment.viewer_supports else "1"}">'
            f'<button type="submit" id="support-button-{pk}" '
            'class="button button--small button--support" '
            f'aria-pressed="{"true" if comment.viewer_supports else "false"}">'
            f'{words["support"]} <span class="support-count">{count}'
            f'</span><span class="visually-hidden support-so-far"> {_e(so_far)}</span>'
            "</button></form>"
        )
    elif count:
        text = ngettext("%(counter)s support", "%(counter)s supports", count) % {"counter": count}
        inner = f'<span class="comment__supports">{_e(text)}</span>'
    else:
        inner = ""
    if error:
        inner += f'<p class="errorlist" role="alert">{_e(error)}</p>'
    return mark_safe(  # noqa: S308 - values escaped above
        f'<div class="comment__support" id="support-{pk}">{inner}</div>'
    )


def _header(comment, institution, words) -> str:
    pk = comment.pk
    parts = [f'<span class="comment__author" id="c-{pk}-author">{_e(author_name(comment))}</span>']
    if comment.is_official:
        parts.append(
            f'<span class="badge badge--official">{words["official"]} · {_e(institution)}</span>'
        )
    if comment.position:
        label = words["positions"].get(comment.position, _e(comment.position))
        parts.append(
            f'<span class="badge badge--position badge--{_e(comment.position)}">{label}</span>'
        )
    created = localtime(comment.created_at)
    parts.append(
        f'<a class="comment__date" href="{comment.links["permalink"]}">'
        f'<time datetime="{created.isoformat()}">{_date(created, words)}</time>'
        f'<span class="visually-hidden"> — {words["permalink"]}</span></a>'
    )
    if comment.edited_at:
        parts.append(f'<span class="comment__edited">{words["edited"]}</span>')
    return f'<header class="comment__header">{"".join(parts)}</header>'


def card_html(
    comment,
    *,
    csrf_token,
    institution,
    request=None,
    standalone=False,
    edit_form=None,
    delete_error="",
    support_error="",
) -> SafeString:
    words = labels()
    pk = comment.pk
    parts = []
    if comment.state == State.DELETED:
        parts.append(f'<p class="comment__placeholder">{words["deleted"]}</p>')
    elif comment.state == State.HIDDEN:
        parts.append(f'<p class="comment__placeholder">{words["hidden"]}</p>')
    else:
        parts.append(_header(comment, institution, words))
        if comment.state == State.PENDING:
            parts.append(f'<p class="comment__pending">{words["pending"]}</p>')
        if comment.in_reply_to_id:
            target = comment.in_reply_to
            name = (
                _e(target.author.display_name)
                if target and target.author_id
                else words["a_comment"]
            )
            parts.append(
                f'<p class="comment__context">{words["in_reply_to"]} '
                f'<a href="{comment.links["in_reply_to"]}">{name}</a></p>'
            )
        parts.append(f'<div class="comment__text">{_text_html(comment.body)}</div>')
    if delete_error:
        parts.append(f'<p class="errorlist" role="alert">{_e(delete_error)}</p>')
    if not standalone:
        parts.append(_actions(comment, csrf_token, request, edit_form, support_error, words))
    classes = "comment__card"
    if comment.is_official:
        classes += " comment__card--official"
    if comment.state == State.PENDING:
        classes += " comment__card--pending"
    labelled = "" if comment.is_placeholder else f' aria-labelledby="c-{pk}-author"'
    return mark_safe(  # noqa: S308 - values escaped above
        f'<article class="{classes}" id="c-{pk}"{labelled}>{"".join(parts)}</article>'
    )


def _actions(comment, csrf_token, request, edit_form, support_error, words) -> str:
    if getattr(comment, "live_public", False):
        return _public_actions(comment, words)
    pk = comment.pk
    parts = []
    if not comment.is_placeholder:
        parts.append(support_html(comment, csrf_token, support_error))
    if comment.may_reply or comment.may_answer_officially:
        name = _e(comment.author.display_name) if comment.author_id else words["a_deleted_account"]
        parts.append(
            f'<div class="comment__reply" id="reply-{pk}"><a class="comment__tool" '
            f'href="{comment.links["reply"]}" data-reply="reply-{pk}">{words["reply"]}'
            f'<span class="visually-hidden"> {words["to"]} {name}</span></a></div>'
        )
    if comment.may_edit or comment.may_delete or edit_form:
        parts.append(
            render_to_string(
                "participation/comments/own_tools.html",
                {"comment": comment, "edit_form": edit_form},
                request=request,
            )
        )
    if comment.may_report:
        parts.append(
            f'<a class="comment__tool comment__report" href="{comment.links["report"]}">'
            f'{words["report"]}<span class="visually-hidden"> {words["this_comment"]}</span></a>'
        )
    return f'<div class="comment__actions">{"".join(parts)}</div>'


def item_html(comment, **card) -> SafeString:
    """A comment as a list item, with the replies shown under it."""
    pk = comment.pk
    parent = f' data-parent="{comment.parent_id}"' if comment.parent_id else ""
    inside = ""
    children = getattr(comment, "shown_replies", None)
    if children:
        inside = (
            f'<ol class="comments comments--replies" id="replies-of-{pk}">'
            + "".join(item_html(child, **card) for child in children)
            + "</ol>"
        )
    if comment.depth == 0:
        if getattr(comment, "hidden_replies", 0):
            count = int(comment.replies_count)
            text = ngettext("See the reply", "See the %(counter)s replies", count) % {
                "counter": count
            }
            inside += (
                f'<p class="comment__more"><a href="{comment.links["replies"]}" '
                f'data-expand="thread-of-{pk}" data-announce="{labels()["replies_shown"]}">'
                f"{_e(text)}</a></p>"
            )
        inside = f'<div id="thread-of-{pk}" class="comment__thread">{inside}</div>'
    return mark_safe(  # noqa: S308 - built from escaped parts
        f'<li class="comment comment--depth-{int(comment.depth)}" id="commentaire-{pk}"{parent}>'
        f"{card_html(comment, **card)}{inside}</li>"
    )


# --- The public card of live updates --------------------------------------------------
# A comment.created / comment.edited frame carries the comment's HTML rendered once for
# every reader (participation.events). Each tool a reader might have is in it, hidden
# (`hidden` + `data-live-tool`), and static/js/live.js keeps those this reader may use
# (from the page's reader context) and removes the others: the settled card is the one
# the server renders for that reader. Forms carry LIVE_CSRF in place of a token; the
# page puts its own (per-session) token there.

LIVE_CSRF = "live"


def _public_actions(comment, words) -> str:
    from participation.permissions import edit_deadline

    pk = comment.pk
    count = int(comment.supports_count)
    # The support form for those who may support; the bare count for the others.
    so_far = ngettext("support so far", "supports so far", count)
    support = (
        f'<form method="post" action="{comment.links["support"]}" data-enhance="support-{pk}" '
        'class="inline-form" data-live-tool="support" hidden>'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{LIVE_CSRF}">'
        '<input type="hidden" name="supported" value="1">'
        f'<button type="submit" id="support-button-{pk}" '
        'class="button button--small button--support" aria-pressed="false">'
        f'{words["support"]} <span class="support-count">{count}'
        f'</span><span class="visually-hidden support-so-far"> {_e(so_far)}</span>'
        "</button></form>"
    )
    if count:
        text = ngettext("%(counter)s support", "%(counter)s supports", count) % {"counter": count}
        support += f'<span class="comment__supports" data-live-tool="count">{_e(text)}</span>'
    support = f'<div class="comment__support" id="support-{pk}">{support}</div>'
    name = _e(comment.author.display_name) if comment.author_id else words["a_deleted_account"]
    parts = [
        support,
        f'<div class="comment__reply" id="reply-{pk}" data-live-tool="reply" hidden>'
        f'<a class="comment__tool" href="{comment.links["reply"]}" data-reply="reply-{pk}">'
        f'{words["reply"]}<span class="visually-hidden"> {words["to"]} {name}</span></a></div>',
    ]
    if comment.author_id:
        comment.may_edit = comment.may_delete = True
        tools = render_to_string(
            "participation/comments/own_tools.html",
            {"comment": comment, "edit_form": None, "csrf_token": LIVE_CSRF},
        )
        deadline = edit_deadline(comment).isoformat()
        parts.append(
            f'<div class="comment__own" data-live-tool="own" hidden data-edit-until="{deadline}">'
            f"{tools}</div>"
        )
    parts.append(
        f'<a class="comment__tool comment__report" href="{comment.links["report"]}" '
        f'data-live-tool="report" hidden>'
        f'{words["report"]}<span class="visually-hidden"> {words["this_comment"]}</span></a>'
    )
    return f'<div class="comment__actions">{"".join(parts)}</div>'


def public_item_html(comment, *, institution) -> SafeString:
    """The comment as every reader receives it live (see above): no reader's tools
    shown, no token, nothing about who reads. `data-author` is the author's key for
    this consultation (participation.queries.live.author_key), so the author's page
    recognises their own comment without learning anyone's account."""
    # A copy: the caller's object (a view may still render it for its author) keeps
    # its own flags.
    comment = copy.copy(comment)
    comment.live_public = True
    comment.shown_replies = []
    comment.hidden_replies = 0
    html = str(item_html(comment, csrf_token=LIVE_CSRF, institution=institution))
    key = author_key(comment.author_id, comment.consultation_id) if comment.author_id else ""
    marker = f'id="commentaire-{comment.pk}"'
    return mark_safe(  # noqa: S308 - the key is hexadecimal
        html.replace(marker, f'{marker} data-author="{key}"', 1)
    )
