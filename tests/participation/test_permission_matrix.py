"""Who may do what, for every rule of the registry and every kind of person: one row
per rule, and a rule added without its row fails here.

The world: an open consultation with comments, a poll whose ballots can change, a
published comment, a second comment of the same author hidden by `moderator` and
contested, an alert, and a citizen to ban. The moderators limited to one consultation
are limited to this one ("scoped_here") or to another ("scoped_elsewhere").
"""

import re

import pytest
from django.core.exceptions import PermissionDenied

from accounts import roles
from participation import permissions
from participation.models import Follow, Kind, ModerationAlert, ModeratorScope, Notification
from participation.services import comments as comment_services
from participation.services import moderation as moderation_services
from tests import factories

PEOPLE = (
    "anonymous",
    "unverified",
    "citizen",
    "verified",
    "author",
    "banned",
    "agent",
    "moderator",
    "scoped_here",
    "scoped_elsewhere",
    "communication",
    "administrator",
)
PARTICIPANTS = {
    "citizen",
    "verified",
    "author",
    "agent",
    "moderator",
    "scoped_here",
    "scoped_elsewhere",
    "communication",
    "administrator",
}
MODERATORS = {"moderator", "scoped_here", "scoped_elsewhere", "administrator"}
MODERATORS_HERE = {"moderator", "scoped_here", "administrator"}
TEAM = {"communication", "administrator"}

# rule → (what it is asked about, who may)
MATRIX = {
    permissions.VOTE: ("poll", PARTICIPANTS),
    permissions.CHANGE_BALLOT: ("poll", PARTICIPANTS),
    # Signed in with FranceConnect, with an address in the poll's places.
    permissions.VOTE_AS_VERIFIED_RESIDENT: ("verified residents' poll", {"verified"}),
    permissions.COMMENT: ("consultation", PARTICIPANTS),
    permissions.REPLY: ("comment", PARTICIPANTS),
    permissions.ANSWER_OFFICIALLY: (
        "comment",
        {"agent", "communication", "moderator", "scoped_here", "administrator"},
    ),
    permissions.EDIT_COMMENT: ("comment", {"author"}),
    permissions.DELETE_COMMENT: ("comment", {"author"}),
    permissions.SUPPORT_COMMENT: ("comment", PARTICIPANTS - {"author"}),
    permissions.REPORT_COMMENT: ("comment", PARTICIPANTS - {"author"}),
    permissions.SEE_COMMENT_HISTORY: ("comment", MODERATORS),
    permissions.WATCH_MODERATION: ("nothing", MODERATORS),
    permissions.MODERATE: ("comment", MODERATORS_HERE),
    permissions.CRISIS: ("consultation", MODERATORS_HERE),
    # Site-wide: only moderators of every consultation and administrators ban.
    permissions.BAN: ("citizen to ban", {"moderator", "administrator"}),
    permissions.SEE_BANS: ("nothing", MODERATORS),
    permissions.HANDLE_ALERT: ("alert", MODERATORS_HERE),
    # The moderator who hid the comment does not judge the appeal against it.
    permissions.DECIDE_APPEAL: ("appeal", {"scoped_here", "administrator"}),
    permissions.APPEAL: ("decision", {"author"}),
    permissions.SEE_FIGURES: ("consultation", TEAM),
    permissions.SEE_MODERATION_FIGURES: ("consultation", TEAM | MODERATORS),
    permissions.EXPORT_CONTRIBUTIONS: ("consultation", TEAM),
    permissions.PUBLISH_RESULTS: ("consultation", TEAM),
    # Only those who took part are asked how it went.
    permissions.GIVE_FEEDBACK: ("consultation", {"author"}),
    # A ban keeps a person from taking part, not from being told what happens.
    permissions.FOLLOW: ("consultation", PARTICIPANTS | {"banned"}),
    permissions.FOLLOW_THREAD: ("comment", PARTICIPANTS | {"banned"}),
    # One's own notifications and follows only.
    permissions.READ_NOTIFICATION: ("author's notification", {"author"}),
    permissions.STOP_FOLLOW: ("author's follow", {"author"}),
}


@pytest.fixture
def world(users, consultation, other):
    people = dict(users)
    people["author"] = factories.UserFactory()
    people["verified"] = factories.UserFactory()
    people["verified"].socialaccount_set.create(
        provider="franceconnect", uid="fc-1", extra_data={"userinfo": {"cog": "69381"}}
    )
    people["banned"] = factories.UserFactory()
    for name, where in (("scoped_here", consultation), ("scoped_elsewhere", other)):
        people[name] = factories.UserFactory(role=roles.MODERATORS, is_staff=True)
        ModeratorScope.objects.create(moderator=people[name], consultation=where)
    moderator = people["moderator"]
    to_ban = factories.UserFactory()
    moderation_services.ban(
        moderator=moderator, user=people["banned"], reason="Insultes", permanent=True
    )

    comment = comment_services.post_comment(
        author=people["author"], consultation=consultation, body="Mon avis."
    )
    hidden = comment_services.post_comment(
        author=people["author"], consultation=consultation, body="Un avis vif."
    )
    moderation_services.hide(moderator=moderator, comment=hidden, reason="spam")
    decision = hidden.decisions.latest("id")
    appeal = moderation_services.contest(
        author=people["author"], decision=decision, text="Ce n'était pas une publicité."
    )
    targets = {
        "poll": factories.poll(consultation, allow_change=True),
        "verified residents' poll": factories.poll(
            consultation, verified_only=True, allowed_places="69001, 69381"
        ),
        "consultation": consultation,
        "comment": comment,
        "nothing": None,
        "citizen to ban": to_ban,
        "alert": ModerationAlert.objects.create(
            kind=ModerationAlert.Kind.SURGE, consultation=consultation
        ),
        "appeal": appeal,
        "decision": decision,
        "author's notification": Notification.objects.create(
            recipient=people["author"],
            kind=Kind.DECISION,
            event_key=f"decision:{decision.pk}",
            consultation=consultation,
            created_at=decision.created_at,
        ),
        # Commenting followed the consultation.
        "author's follow": Follow.objects.get(user=people["author"], consultation=consultation),
    }
    return people, targets


def test_every_rule_has_its_row():
    assert set(MATRIX) == set(permissions.RULES)


@pytest.mark.parametrize("rule", list(MATRIX))
def test_permission_matrix(world, rule):
    people, targets = world
    target_name, allowed = MATRIX[rule]
    target = targets[target_name]
    found = {name: permissions.can(people[name], rule, target) for name in PEOPLE}
    assert found == {name: name in allowed for name in PEOPLE}
    for name in PEOPLE:
        if name not in allowed:
            # The person reads why, and the services' check refuses the same way.
            why = permissions.reason(people[name], rule, target)
            assert isinstance(why, str) and why.strip(), f"{name} / {rule}: no reason"
            with pytest.raises(PermissionDenied, match=re.escape(why)):
                permissions.require(people[name], rule, target)
