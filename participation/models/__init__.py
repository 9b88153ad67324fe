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

# Live updates
from participation.models.live import LiveEvent
from participation.models.moderation import (
    Appeal,
    Ban,
    CharterReason,
    ConsultationModeration,
    Decision,
    ModerationAlert,
    ModerationDecision,
    ModerationRules,
    ModeratorScope,
)
from participation.models.notifications import (
    EmailMode,
    Kind,
    Notification,
    NotificationPreference,
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
from participation.models.schedule import ScheduledJob

__all__ = [
    "Appeal",
    "Ballot",
    "Ban",
    "CharterReason",
    "Choice",
    "ChoiceTally",
    "Comment",
    "CommentModeration",
    "CommentVersion",
    "ConsultationModeration",
    "ConsultationPage",
    "ConsultationResults",
    "ConsultationTag",
    "DailyFigures",
    "Decision",
    "EmailMode",
    "Feedback",
    "Follow",
    "Kind",
    "LiveEvent",
    "Metric",
    "ModerationAlert",
    "ModerationDecision",
    "ModerationRules",
    "ModeratorScope",
    "Network",
    "Notification",
    "NotificationPreference",
    "Objective",
    "PageVisits",
    "Poll",
    "PollTally",
    "Position",
    "Question",
    "QuestionKind",
    "Report",
    "ReportReason",
    "ResultsVisibility",
    "ScheduledJob",
    "Selection",
    "ShareCount",
    "State",
    "Support",
    "TextAnswer",
    "ThreadStats",
]
