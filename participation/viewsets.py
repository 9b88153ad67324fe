"""The poll editor of the Wagtail admin, for the communication team and administrators.

Polls live in their own listing rather than inline in the consultation page: a page's
inline children are rewritten from its revisions on every publish, which would let an
old draft delete choices people voted for. Here a save applies at once, and the form
refuses to touch questions and choices once ballots exist (forms.polls.PollAdminForm).
"""

from django.core.paginator import Paginator
from django.db.models import IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext
from wagtail.admin.panels import ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import ListingButton

from participation.forms.polls import PollAdminForm
from participation.models import Ballot, ModeratorScope, Poll, PollTally, Question, TextAnswer
from participation.queries import polls as poll_queries

TEXT_ANSWERS_PER_PAGE = 25


def status_label(poll) -> str:
    status = poll.status
    if status == "closed":
        return pgettext("poll", "Closed")
    if not poll.is_published:
        return _("Not shown on the site")
    if status == "upcoming":
        return pgettext("poll", "Upcoming")
    return pgettext("poll", "Open")


class PollIndexView(generic.IndexView):
    def get_base_queryset(self):
        participants = (
            PollTally.objects.filter(poll=OuterRef("pk"))
            .values("poll")
            .annotate(total=Sum("count"))
            .values("total")
        )
        return (
            super()
            .get_base_queryset()
            .select_related("consultation")
            .annotate(participants=Coalesce(Subquery(participants, output_field=IntegerField()), 0))
        )

    def get_list_more_buttons(self, instance):
        # "Inspect" becomes the "Results and answers" button in front of the row.
        inspect_url = self.get_inspect_url(instance)
        return [b for b in super().get_list_more_buttons(instance) if b.url != inspect_url]

    def get_list_buttons(self, instance):
        buttons = super().get_list_buttons(instance)
        if inspect_url := self.get_inspect_url(instance):
            buttons.insert(
                0,
                ListingButton(
                    _("Results and answers"), url=inspect_url, icon_name="list-ul", priority=5
                ),
            )
        return buttons


class PollResultsView(generic.InspectView):
    """Tallies of every choice question and the free-text answers, newest first."""

    page_title = gettext_lazy("Results")
    template_name = "participation/polls/admin/results.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        poll = (
            Poll.objects.select_related("consultation")
            .prefetch_related(poll_queries.structure())
            .get(pk=self.object.pk)
        )
        results = poll_queries.results([poll])[poll.pk]
        block = poll_queries.PollBlock(
            poll=poll,
            questions=list(poll.questions.all()),
            results=results,
            ballot=None,
            selected=set(),
            texts={},
            vote_reason=None,
            change_reason=None,
            results_visible=True,
        )
        context.update(
            poll=poll,
            poll_block=block,
            status=status_label(poll),
            text_questions=[
                (question, self.text_answers_page(question))
                for question in block.questions
                if question.is_text
            ],
        )
        return context

    def text_answers_page(self, question: Question):
        answers = TextAnswer.objects.filter(question=question).order_by("-id")
        paginator = Paginator(answers, TEXT_ANSWERS_PER_PAGE)
        return paginator.get_page(self.request.GET.get(f"p{question.pk}"))

    def get_fields(self):
        return []


class PollDeleteView(generic.DeleteView):
    @property
    def confirmation_message(self):
        count = Ballot.objects.filter(poll=self.object).count()
        if not count:
            return _("Delete this poll? It has no ballots yet.")
        return ngettext(
            "This poll has %(count)s ballot. Deleting the poll deletes it too, with its "
            "free-text answers: the person who voted loses their vote. This cannot be undone.",
            "This poll has %(count)s ballots. Deleting the poll deletes them too, with their "
            "free-text answers: the people who voted lose their votes. This cannot be undone.",
            count,
        ) % {"count": count}


class PollViewSet(ModelViewSet):
    model = Poll
    icon = "list-ul"
    menu_label = gettext_lazy("Polls")
    menu_order = 250
    add_to_admin_menu = True
    index_view_class = PollIndexView
    inspect_view_enabled = True
    inspect_view_class = PollResultsView
    delete_view_class = PollDeleteView
    # A copy would carry no questions (they are children), only confusion.
    copy_view_enabled = False
    list_display = [
        "title",
        "consultation",
        Column("status", label=gettext_lazy("Status"), accessor=status_label),
        Column("participants", label=gettext_lazy("Participants")),
    ]
    list_filter = ["consultation", "is_published"]
    search_fields = ["title"]
    edit_handler = ObjectList(Poll.panels, base_form_class=PollAdminForm)


# --- Moderation -------------------------------------------------------------------------


class ModeratorScopeViewSet(ModelViewSet):
    """Administrators limit a moderator to some consultations (no row: all of them)."""

    model = ModeratorScope
    icon = "group"
    menu_label = gettext_lazy("Moderation scopes")
    add_to_settings_menu = True
    copy_view_enabled = False
    inspect_view_enabled = False
    form_fields = ["moderator", "consultation"]
    list_display = ["moderator", "consultation"]
    list_filter = ["consultation"]
