"""The participation domain, one module per part (DESIGN.md: split past ~400 lines)."""

from participation.models.consultation import ConsultationPage, ConsultationTag
from participation.models.polls import (
    Ballot,
    Choice,
    ChoiceTally,
    Poll,
    PollTally,
    Question,
    QuestionKind,
    ResultsVisibility,
    Selection,
    TextAnswer,
)

__all__ = [
    "Ballot",
    "Choice",
    "ChoiceTally",
    "ConsultationPage",
    "ConsultationTag",
    "Poll",
    "PollTally",
    "Question",
    "QuestionKind",
    "ResultsVisibility",
    "Selection",
    "TextAnswer",
]
