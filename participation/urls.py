"""Participation URLs, mounted under /participation/ by config/urls.py."""

from django.urls import path

from participation.views import comments, live, polls

app_name = "participation"

urlpatterns = []

urlpatterns += [
    path("sondages/<int:poll_id>/vote/", polls.vote, name="poll_vote"),
]

# Comment threads (ids only in URLs: no personal data).
urlpatterns += [
    path(
        "consultations/<int:consultation_id>/commenter/",
        comments.comment_create,
        name="comment_create",
    ),
    path("commentaires/<int:pk>/", comments.comment_permalink, name="comment"),
    path("commentaires/<int:pk>/repondre/", comments.comment_reply, name="comment_reply"),
    path("commentaires/<int:pk>/modifier/", comments.comment_edit, name="comment_edit"),
    path("commentaires/<int:pk>/supprimer/", comments.comment_delete, name="comment_delete"),
    path("commentaires/<int:pk>/soutenir/", comments.comment_support, name="comment_support"),
    path("commentaires/<int:pk>/signaler/", comments.comment_report, name="comment_report"),
    path("commentaires/<int:pk>/reponses/", comments.comment_replies, name="comment_replies"),
]

# Live updates: what happened since a cursor (docs/live-protocol.md).
urlpatterns += [
    path(
        "consultations/<int:consultation_id>/direct/",
        live.catch_up,
        name="live_catch_up",
    ),
]

# Moderation: the author's decisions and appeal, the public summary.
from participation.views import moderation  # noqa: E402

urlpatterns += [
    path("moderation/mes-decisions/", moderation.my_moderation, name="my_moderation"),
    path(
        "consultations/<int:consultation_id>/moderation/",
        moderation.summary,
        name="moderation_summary",
    ),
]

# Community management: counted share links, feedback, follows, open data.
from participation.views import community  # noqa: E402

urlpatterns += [
    path("partager/<int:page_id>/<str:network>/", community.share, name="share"),
    path("consultations/<int:consultation_id>/avis/", community.feedback, name="feedback"),
    path("consultations/<int:consultation_id>/suivre/", community.follow, name="follow"),
    path(
        "consultations/<int:consultation_id>/donnees-ouvertes.<str:fmt>",
        community.open_data,
        name="open_data",
    ),
]

from participation.feeds import ConsultationsAtomFeed, ConsultationsFeed  # noqa: E402

urlpatterns += [
    path("flux/rss/", ConsultationsFeed(), name="feed_rss"),
    path("flux/atom/", ConsultationsAtomFeed(), name="feed_atom"),
]

# Notifications: the centre, follows, e-mail choices, one-click unsubscribe (ids and
# signed tokens only in URLs).
from participation.views import notifications  # noqa: E402

urlpatterns += [
    path("notifications/", notifications.centre, name="notifications"),
    path("notifications/<int:pk>/lue/", notifications.mark_read, name="notification_read"),
    path("notifications/tout-lu/", notifications.mark_all_read, name="notifications_read_all"),
    path("notifications/preferences/", notifications.preferences, name="notification_preferences"),
    path(
        "notifications/desabonnement/<str:token>/",
        notifications.unsubscribe,
        name="unsubscribe",
    ),
    path("abonnements/", notifications.follows, name="follows"),
    path("abonnements/<int:pk>/arreter/", notifications.stop_follow, name="stop_follow"),
    path("commentaires/<int:pk>/suivre/", notifications.follow_thread, name="follow_thread"),
    path("themes/<slug:slug>/suivre/", notifications.follow_theme, name="follow_theme"),
]
