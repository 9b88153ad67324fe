"""The ballot form on the consultation page, and the poll form of the Wagtail admin."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms.formsets import DELETION_FIELD_NAME, ORDERING_FIELD_NAME
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from wagtail.admin.forms import WagtailAdminModelForm

from participation.models import Ballot, QuestionKind
from participation.services.polls import too_many_choices


def max_choices_validator(maximum):
    def validate(values):
        if maximum and len(values) > maximum:
            raise ValidationError(too_many_choices(maximum, len(values)), code="max_choices")

    return validate


class BallotForm(forms.Form):
    """One field per question, named after it ("q12"). Shapes are checked here; what the
    answers mean (choices of the question, maximum) is checked by the service, whose
    errors come back on the same fields."""

    def __init__(self, poll, questions, *args, selected=(), texts=None, **kwargs):
        self.poll = poll
        self.questions = list(questions)
        super().__init__(*args, **kwargs)
        self.auto_id = f"poll{poll.pk}-%s"  # unique ids when a page shows several polls
        texts = texts or {}
        selected = set(selected)
        for question in self.questions:
            self.fields[question.field_name] = self._field(question, selected, texts)

    def _field(self, question, selected, texts):
        if question.is_text:
            return forms.CharField(
                label=question.text,
                required=False,
                max_length=settings.TRIBUNE_POLL_TEXT_MAX_LENGTH,
                strip=True,
                initial=texts.get(question.pk, ""),
                widget=forms.Textarea(attrs={"rows": 4}),
                help_text=_(
                    "Optional. Read by the city’s team, never published. Do not write "
                    "personal information (name, address, phone number)."
                ),
                error_messages={
                    "max_length": _(
                        "Your answer is %(show_value)d characters long: %(limit_value)d at most."
                    )
                },
            )
        choices = [(choice.pk, choice.label) for choice in question.choices.all()]
        initial = [choice_id for choice_id, _label in choices if choice_id in selected]
        messages = {
            "invalid_choice": _(
                "This choice is not one of this question’s: reload the page and choose again."
            ),
        }
        if question.is_multiple:
            help_text = (
                ngettext(
                    "Tick up to %(max)s answer.",
                    "Tick up to %(max)s answers.",
                    question.max_choices,
                )
                % {"max": question.max_choices}
                if question.max_choices
                else _("Tick every answer that applies.")
            )
            return forms.TypedMultipleChoiceField(
                label=question.text,
                choices=choices,
                coerce=int,
                initial=initial,
                widget=forms.CheckboxSelectMultiple,
                help_text=help_text,
                # Checked here too, so every problem of the form shows at once.
                validators=[max_choices_validator(question.max_choices)],
                error_messages={"required": _("Choose at least one answer."), **messages},
            )
        return forms.TypedChoiceField(
            label=question.text,
            choices=choices,
            coerce=int,
            initial=initial[0] if initial else None,
            widget=forms.RadioSelect,
            error_messages={"required": _("Choose an answer."), **messages},
        )

    def render(self, template_name=None, context=None, renderer=None):
        # A blank ballot is the same markup for everyone who gave the same answers (most
        # readers gave none), and Django's widget templates are the costliest part of the
        # consultation page: the markup is kept, keyed by everything it is made of.
        if self.is_bound or template_name or context or renderer:
            return super().render(template_name, context, renderer)
        key = self._markup_key()
        markup = _BLANK_MARKUP.get(key)
        if markup is None:
            if len(_BLANK_MARKUP) >= _BLANK_MARKUP_LIMIT:
                _BLANK_MARKUP.clear()
            markup = _BLANK_MARKUP[key] = super().render()
        return markup

    # RenderableMixin binds these to its own render: {{ form }} must come here.
    __str__ = render
    __html__ = render

    def _markup_key(self) -> tuple:
        return (
            get_language(),
            self.auto_id,
            tuple(
                (
                    name,
                    type(field).__name__,
                    str(field.label),
                    str(field.help_text),
                    tuple(getattr(field, "choices", ())),
                    repr(self.get_initial_for_field(field, name)),
                )
                for name, field in self.fields.items()
            ),
        )

    def answers(self) -> dict:
        """{question id: choice id(s) or text}, for services.polls.cast_ballot."""
        return {
            question.pk: self.cleaned_data.get(question.field_name) for question in self.questions
        }


_BLANK_MARKUP: dict = {}
_BLANK_MARKUP_LIMIT = 1024


def with_form(block, bound=None):
    """Attach to a queries.polls.PollBlock the ballot form its person may fill: the one
    that came back with errors, else a fresh one holding their current answers."""
    if bound is not None and bound.poll.pk == block.poll.pk:
        block.form = bound
    elif block.can_vote:
        block.form = BallotForm(
            block.poll, block.questions, selected=block.selected, texts=block.texts
        )
    return block


FROZEN_MESSAGE = gettext_lazy(
    "This poll has already received ballots: its questions and choices can no longer be "
    "added, changed or removed, so that its results stay true. You can still change its "
    "title, introduction, closing date, visibility of results and whether it is shown."
)


def _deleted(form) -> bool:
    return bool(getattr(form, "cleaned_data", {}).get(DELETION_FIELD_NAME))


def _is_blank_new(form) -> bool:
    return form.instance.pk is None and not form.has_changed()


def _changed_fields(form) -> list:
    return [
        name for name in form.changed_data if name not in (ORDERING_FIELD_NAME, DELETION_FIELD_NAME)
    ]


class PollAdminForm(WagtailAdminModelForm):
    """The poll editor of the admin, with its questions and their choices inline.

    Checks what a question needs (two choices at least, none for free text, a maximum
    that fits), and once ballots exist refuses any change to questions and choices:
    renaming a choice that people voted for would change what their vote means.
    """

    def clean(self):
        cleaned_data = super().clean()
        questions = self.formsets.get("questions")
        if questions is None or not questions.is_valid():
            return cleaned_data
        kept = [form for form in questions.forms if not _deleted(form) and not _is_blank_new(form)]
        for form in kept:
            self._check_question(form)
        count = Ballot.objects.filter(poll=self.instance).count() if self.instance.pk else 0
        if count and self._structure_changed(questions):
            cast = ngettext(
                "%(count)s ballot has been cast.", "%(count)s ballots have been cast.", count
            ) % {"count": count}
            raise ValidationError(f"{cast} {FROZEN_MESSAGE}", code="frozen")
        return cleaned_data

    def _check_question(self, form):
        choices_formset = form.formsets["choices"]
        choices = [
            choice
            for choice in choices_formset.forms
            if not _deleted(choice) and not _is_blank_new(choice)
        ]
        kind = form.cleaned_data.get("kind")
        maximum = form.cleaned_data.get("max_choices")
        if kind == QuestionKind.TEXT:
            if choices:
                form.add_error(
                    "kind",
                    _(
                        "A free-text question takes no choices: remove them, or pick a "
                        "choice question."
                    ),
                )
            if maximum:
                form.add_error("max_choices", _("A maximum only applies to a multiple choice."))
            return
        if len(choices) < 2:
            form.add_error("kind", _("A choice question needs at least two choices."))
        if maximum is not None and kind != QuestionKind.MULTIPLE:
            form.add_error("max_choices", _("A maximum only applies to a multiple choice."))
        elif maximum is not None and maximum < 1:
            form.add_error("max_choices", _("The maximum must be at least 1."))
        elif maximum is not None and maximum > len(choices) >= 2:
            form.add_error(
                "max_choices",
                _("The maximum (%(max)s) is more than the number of choices (%(count)s).")
                % {"max": maximum, "count": len(choices)},
            )

    @staticmethod
    def _structure_changed(questions) -> bool:
        changed = False
        for form in questions.forms:
            if _is_blank_new(form):
                continue
            if form.instance.pk is None or _deleted(form):
                changed = True
                continue
            for name in _changed_fields(form):
                form.add_error(name, _("Locked: this poll has ballots."))
                changed = True
            choices = form.formsets["choices"]
            for choice in choices.forms:
                if _is_blank_new(choice):
                    continue
                if choice.instance.pk is None or _deleted(choice):
                    changed = True
                    continue
                for name in _changed_fields(choice):
                    choice.add_error(name, _("Locked: this poll has ballots."))
                    changed = True
        return changed
