"""Voting: a plain form POST answered by a redirect, or by the poll's new HTML in place."""

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from cms.views import fragment, wants_fragment
from participation.forms.polls import BallotForm, with_form
from participation.queries import polls as poll_queries
from participation.ratelimits import RateLimited
from participation.services import polls as poll_services

logger = logging.getLogger(__name__)

POLL_TEMPLATE = "participation/polls/poll.html"


def anchor(poll) -> str:
    return f"sondage-{poll.pk}"


def _visible_poll(request, poll_id):
    poll = poll_queries.poll_for_vote(poll_id)
    if poll is None:
        raise Http404
    for restriction in poll.consultation.get_view_restrictions():
        if not restriction.accept_request(request):
            raise Http404
    return poll


def vote(request, poll_id):
    poll = _visible_poll(request, poll_id)
    consultation = poll.consultation
    if request.method != "POST":
        return redirect(f"{consultation.url}#{anchor(poll)}")

    form = BallotForm(poll, poll.questions.all(), data=request.POST)
    status = 400
    if form.is_valid():
        try:
            outcome = poll_services.cast_ballot(
                voter=request.user, poll=poll, answers=form.answers()
            )
        except ValidationError as error:
            form.add_error(None, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
            status = 403
        except RateLimited as error:
            form.add_error(None, str(error))
            status = 429
        else:
            if outcome.created:
                message = _("Your vote is recorded. Thank you for taking part!")
            elif outcome.changed:
                message = _("Your ballot is changed.")
            else:
                message = _("Your ballot was already recorded with these answers.")
            if wants_fragment(request):
                block = with_form(poll_queries.blocks_for([poll], request.user)[0])
                return fragment(request, POLL_TEMPLATE, {"poll_block": block}, announce=message)
            messages.success(request, message)
            return redirect(f"{consultation.url}#{anchor(poll)}")

    # Field names only: the answers themselves stay out of the logs.
    logger.info("ballot refused on poll %s (status %s): %s", poll.pk, status, sorted(form.errors))
    failure = _("Your ballot could not be recorded: see the messages in the poll “%(title)s”.") % {
        "title": poll.title
    }
    block = with_form(poll_queries.blocks_for([poll], request.user)[0], bound=form)
    if wants_fragment(request):
        return fragment(
            request, POLL_TEMPLATE, {"poll_block": block}, announce=failure, status=status
        )
    # Without JavaScript: the consultation page again, the person's answers kept.
    messages.error(
        request, format_html('{} <a href="#{}">{}</a>', failure, anchor(poll), _("Go to the poll"))
    )
    context = consultation.get_context(request)
    context["bound_poll_form"] = form
    return TemplateResponse(request, consultation.get_template(request), context, status=status)
