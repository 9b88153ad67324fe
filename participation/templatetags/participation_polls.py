from django import template

from participation.forms.polls import with_form
from participation.queries import polls as poll_queries

register = template.Library()


@register.simple_tag(takes_context=True)
def poll_blocks(context, consultation):
    """The published polls of a consultation as this person sees them: a fixed number
    of queries whatever the number of ballots (queries.polls.blocks_for)."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    polls = poll_queries.published_polls(consultation, request)
    bound = context.get("bound_poll_form")
    return [with_form(block, bound) for block in poll_queries.blocks_for(polls, user)]
