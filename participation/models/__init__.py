"""The participation domain, one module per part (DESIGN.md: split past ~400 lines)."""

from participation.models.comments import (
    Comment,
    CommentVersion,
    Position,
    Report,
    ReportReason,
    State,
    Support,
    ThreadStats,
)
from participation.models.community import (
    ConsultationResults,
    DailyFigures,
    Feedback,
    Follow,
    Metric,
    Network,
    Objective,
    PageVisits,
    ShareCount,
)
from participation.models.consultation import (
    CommentModeration,
    ConsultationPage,
    ConsultationTag,
)
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
    # community management (issue 7)
    "ConsultationResults",
    "DailyFigures",
    "Feedback",
    "Follow",
    "Metric",
    "Network",
    "Objective",
    "PageVisits",
    "ShareCount",
    # threads and polls
    "Ballot",
    "Choice",
    "ChoiceTally",
    "Comment",
    "CommentModeration",
    "CommentVersion",
    "ConsultationPage",
    "ConsultationTag",
    "Poll",
    "PollTally",
    "Position",
    "Question",
    "QuestionKind",
    "Report",
    "ReportReason",
    "ResultsVisibility",
    "Selection",
    "State",
    "Support",
    "TextAnswer",
    "ThreadStats",
]
