"""Moderation through its services: each action, rule, notification and audit
entry, and every bad input refused with a French message and nothing changed."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from wagtail.models import ModelLogEntry, PageLogEntry

from participation import permissions
from participation.models import (
    Appeal,
    Ban,
    Comment,
    CommentModeration,
    Decision,
    ModerationAlert,
    ModerationDecision,
    ModerationRules,
    State,
    ThreadStats,
)
from participation.services import comments as comments
from participation.services import moderation as services
from participation.services import polls as poll_services
from tests import factories


@pytest.fixture
def premoderated(consultation_index):
    return factories.consultation(
        consultation_index, title="Budget", comment_moderation=CommentModeration.A_PRIORI
    )


@pytest.fixture
def second_moderator(users):
    from accounts import roles

    return factories.UserFactory(role=roles.MODERATORS, is_staff=True)


def post(author, consultation, body="Un avis.", **kwargs):
    return comments.post_comment(author=author, consultation=consultation, body=body, **kwargs)


def total(consultation) -> int:
    stats = ThreadStats.objects.filter(pk=consultation.pk).first()
    return stats.comments if stats else 0


def actions_logged(comment) -> list[str]:
    return list(
        ModelLogEntry.objects.for_instance(comment)
        .order_by("timestamp", "id")
        .values_list("action", flat=True)
    )


# --- Publish, reject, hide, restore, handled -------------------------------------------


def test_moderator_publishes_a_pending_comment_counted_and_logged(users, premoderated):
    comment = post(users["citizen"], premoderated)
    assert comment.state == State.PENDING and total(premoderated) == 0
    services.publish(moderator=users["moderator"], comment=comment)
    comment.refresh_from_db()
    assert comment.state == State.PUBLISHED
    assert total(premoderated) == 1
    entry = ModelLogEntry.objects.for_instance(comment).get()
    assert entry.action == "tribune.moderation.publish"
    assert entry.user == users["moderator"]
    assert entry.message == "Commentaire publié"
    assert comment.decisions.get().action == Decision.PUBLISH


def test_rejection_needs_a_charter_reason_and_tells_the_author(
    users, premoderated, mailoutbox, django_capture_on_commit_callbacks
):
    comment = post(users["citizen"], premoderated)
    with pytest.raises(ValidationError) as error:
        services.reject(moderator=users["moderator"], comment=comment, reason="")
    assert "charte" in error.value.messages[0]
    assert Comment.objects.get(pk=comment.pk).state == State.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        services.reject(
            moderator=users["moderator"],
            comment=comment,
            reason="abuse",
            note="Merci de rester courtois.",
        )
    comment.refresh_from_db()
    assert comment.state == State.REJECTED and comment.moderation_reason == "abuse"
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [users["citizen"].email]
    assert "Insulte, harcèlement ou discrimination" in message.body
    assert "Merci de rester courtois." in message.body
    entry = ModelLogEntry.objects.for_instance(comment).get()
    assert entry.action == "tribune.moderation.reject"
    assert entry.data["reason"] == "abuse" and entry.data["note"] == "Merci de rester courtois."


def test_hide_takes_a_published_comment_off_and_restore_brings_it_back(users, consultation):
    comment = post(users["citizen"], consultation)
    assert total(consultation) == 1
    services.hide(moderator=users["moderator"], comment=comment, reason="spam")
    assert Comment.objects.get(pk=comment.pk).state == State.HIDDEN
    assert total(consultation) == 0
    services.restore(moderator=users["moderator"], comment=comment)
    assert Comment.objects.get(pk=comment.pk).state == State.PUBLISHED
    assert total(consultation) == 1
    assert actions_logged(comment) == ["tribune.moderation.hide", "tribune.moderation.restore"]


def test_unknown_reason_and_long_note_are_refused(users, consultation):
    comment = post(users["citizen"], consultation)
    with pytest.raises(ValidationError):
        services.hide(moderator=users["moderator"], comment=comment, reason="pas-une-raison")
    with pytest.raises(ValidationError) as error:
        services.hide(moderator=users["moderator"], comment=comment, reason="spam", note="x" * 1001)
    assert "1000" in error.value.messages[0]
    assert Comment.objects.get(pk=comment.pk).state == State.PUBLISHED
    assert not ModerationDecision.objects.exists()


def test_a_decided_or_deleted_comment_is_refused_with_a_clear_message(users, premoderated):
    comment = post(users["citizen"], premoderated)
    services.publish(moderator=users["moderator"], comment=comment)
    with pytest.raises(ValidationError) as error:
        services.publish(moderator=users["moderator"], comment=comment)
    assert "déjà été traité" in error.value.messages[0]
    with pytest.raises(ValidationError) as error:
        services.reject(moderator=users["moderator"], comment=comment, reason="spam")
    assert "Publié" in error.value.messages[0]
    assert comment.decisions.count() == 1
    gone = post(users["citizen"], premoderated)
    Comment.objects.filter(pk=gone.pk).delete()
    with pytest.raises(ValidationError) as error:
        services.publish(moderator=users["moderator"], comment=gone)
    assert "n’existe plus" in error.value.messages[0]


def test_marking_reports_handled_takes_the_comment_out_of_reported(users, consultation):
    comment = post(users["citizen"], consultation)
    comments.report_comment(reporter=users["agent"], comment=comment, reason="spam")
    assert Comment.objects.get(pk=comment.pk).reports_open
    services.mark_handled(moderator=users["moderator"], comment=comment)
    assert not Comment.objects.get(pk=comment.pk).reports_open
    with pytest.raises(ValidationError) as error:
        services.mark_handled(moderator=users["moderator"], comment=comment)
    assert "déjà été traités" in error.value.messages[0]
    assert "tribune.moderation.handled" in actions_logged(comment)


def test_bulk_action_applies_to_each_and_reports_the_refusals(users, premoderated):
    first, second = post(users["citizen"], premoderated), post(users["citizen"], premoderated)
    services.publish(moderator=users["moderator"], comment=second)
    done, refusals = services.bulk(
        moderator=users["moderator"], action="publish", comment_ids=[first.pk, second.pk]
    )
    assert done == 1
    assert len(refusals) == 1 and f"#{second.pk}" in refusals[0]
    assert Comment.objects.get(pk=first.pk).state == State.PUBLISHED
    with pytest.raises(ValidationError):
        services.bulk(moderator=users["moderator"], action="hide", comment_ids=[first.pk])


# --- Permissions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("anonymous", False),
        ("unverified", False),
        ("citizen", False),
        ("agent", False),
        ("communication", False),
        ("moderator", True),
        ("administrator", True),
        ("scoped_here", True),
        ("scoped_elsewhere", False),
    ],
)
def test_moderation_permission_matrix(role, allowed, users, consultation, consultation_index):
    from accounts import roles
    from participation.models import ModeratorScope

    other = factories.consultation(consultation_index, title="Ailleurs")
    if role.startswith("scoped"):
        user = factories.UserFactory(role=roles.MODERATORS, is_staff=True)
        ModeratorScope.objects.create(
            moderator=user, consultation=consultation if role == "scoped_here" else other
        )
    else:
        user = users[role]
    comment = post(users["citizen"], consultation)
    assert permissions.can(user, permissions.MODERATE, comment) is allowed
    assert permissions.can(user, permissions.CRISIS, consultation) is allowed
    if not allowed:
        with pytest.raises(PermissionDenied):
            services.hide(moderator=user, comment=comment, reason="spam")
        assert Comment.objects.get(pk=comment.pk).state == State.PUBLISHED


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("citizen", False), ("communication", False), ("moderator", True), ("administrator", True)],
)
def test_ban_permission(role, allowed, users):
    target = factories.UserFactory()
    assert permissions.can(users[role], permissions.BAN, target) is allowed


def test_a_scoped_moderator_cannot_ban_nor_ban_staff(users, consultation):
    from accounts import roles
    from participation.models import ModeratorScope

    scoped = factories.UserFactory(role=roles.MODERATORS, is_staff=True)
    ModeratorScope.objects.create(moderator=scoped, consultation=consultation)
    assert not permissions.can(scoped, permissions.BAN, users["citizen"])
    assert not permissions.can(users["moderator"], permissions.BAN, users["communication"])


# --- Bans ------------------------------------------------------------------------------


def test_ban_needs_a_reason_and_a_duration(users):
    target = users["citizen"]
    with pytest.raises(ValidationError) as error:
        services.ban(moderator=users["moderator"], user=target, reason="", days=7)
    assert "pourquoi" in error.value.messages[0]
    with pytest.raises(ValidationError) as error:
        services.ban(moderator=users["moderator"], user=target, reason="Insultes répétées")
    assert "durée" in error.value.messages[0]
    assert not Ban.objects.exists()


def test_a_banned_person_cannot_comment_reply_support_vote_or_report(
    users, consultation, mailoutbox, django_capture_on_commit_callbacks
):
    target = users["citizen"]
    own = post(target, consultation, "Mon avis.")
    other = post(users["agent"], consultation, "Un autre avis.")
    poll = factories.poll(consultation)
    with django_capture_on_commit_callbacks(execute=True):
        services.ban(
            moderator=users["moderator"],
            user=target,
            reason="Insultes répétées",
            days=7,
            hide_all=True,
        )
    assert Comment.objects.get(pk=own.pk).state == State.HIDDEN
    assert total(consultation) == 1
    assert mailoutbox and "Insultes répétées" in mailoutbox[-1].body
    from accounts.models import User

    # A new request: fresh objects (permission answers are remembered per object).
    banned = User.objects.get(pk=target.pk)
    consultation = type(consultation).objects.get(pk=consultation.pk)
    other = Comment.objects.select_related("consultation").get(pk=other.pk)
    poll = factories.poll(consultation, title="Autre sondage")
    for attempt in (
        lambda: post(banned, consultation, "Encore."),
        lambda: post(banned, consultation, "Réponse.", parent=other),
        lambda: comments.set_support(user=banned, comment=other, supported=True),
        lambda: comments.report_comment(reporter=banned, comment=other, reason="spam"),
        lambda: poll_services.cast_ballot(voter=banned, poll=poll, answers={}),
    ):
        with pytest.raises(PermissionDenied) as error:
            attempt()
        assert "banni" in str(error.value)
    with pytest.raises(ValidationError) as error:
        services.ban(moderator=users["moderator"], user=target, reason="Encore", permanent=True)
    assert "déjà banni" in error.value.messages[0]
    log = ModelLogEntry.objects.get(action="tribune.moderation.ban")
    assert log.data["reason"] == "Insultes répétées" and log.data["hidden"] == 1


def test_a_ban_ends_after_its_duration(users, consultation):
    services.ban(moderator=users["moderator"], user=users["citizen"], reason="Spam", days=1)
    from accounts.models import User

    with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
        person = User.objects.get(pk=users["citizen"].pk)
        assert permissions.can(person, permissions.COMMENT, consultation)


# --- Appeals ----------------------------------------------------------------------------


def rejected(users, premoderated):
    comment = post(users["citizen"], premoderated)
    services.reject(moderator=users["moderator"], comment=comment, reason="off_topic")
    return comment, comment.decisions.get()


def test_the_author_contests_once_and_another_moderator_decides(
    users, premoderated, second_moderator, mailoutbox, django_capture_on_commit_callbacks
):
    comment, decision = rejected(users, premoderated)
    with pytest.raises(PermissionDenied):
        services.contest(author=users["agent"], decision=decision, text="Pas juste.")
    with pytest.raises(ValidationError):
        services.contest(author=users["citizen"], decision=decision, text="   ")
    appeal = services.contest(
        author=users["citizen"], decision=decision, text="Mon commentaire était dans le sujet."
    )
    with pytest.raises(ValidationError) as error:
        services.contest(author=users["citizen"], decision=decision, text="Encore.")
    assert "déjà contesté" in error.value.messages[0]
    # The moderator who decided cannot judge the appeal.
    with pytest.raises(PermissionDenied) as refusal:
        services.decide_appeal(moderator=users["moderator"], appeal=appeal, grant=True)
    assert "autre modérateur" in str(refusal.value) or "différent" in str(refusal.value)
    with django_capture_on_commit_callbacks(execute=True):
        services.decide_appeal(
            moderator=second_moderator, appeal=appeal, grant=True, answer="Vous avez raison."
        )
    comment.refresh_from_db()
    assert comment.state == State.PUBLISHED and total(premoderated) == 1
    assert Appeal.objects.get().status == Appeal.Status.GRANTED
    assert "Vous avez raison." in mailoutbox[-1].body
    with pytest.raises(ValidationError) as error:
        services.decide_appeal(moderator=users["administrator"], appeal=appeal, grant=False)
    assert "déjà été tranchée" in error.value.messages[0]
    assert actions_logged(comment) == [
        "tribune.moderation.reject",
        "tribune.moderation.appeal",
        "tribune.moderation.appeal_decided",
    ]


def test_an_appeal_after_the_deadline_is_refused(users, premoderated):
    _comment, decision = rejected(users, premoderated)
    later = timezone.now() + timedelta(days=15)
    with time_machine.travel(later, tick=False), pytest.raises(ValidationError) as error:
        services.contest(author=users["citizen"], decision=decision, text="Trop tard ?")
    assert "terminé" in error.value.messages[0]
    assert not Appeal.objects.exists()


def test_a_publication_cannot_be_contested(users, premoderated):
    comment = post(users["citizen"], premoderated)
    services.publish(moderator=users["moderator"], comment=comment)
    with pytest.raises(ValidationError):
        services.contest(
            author=users["citizen"], decision=comment.decisions.get(), text="Pourquoi ?"
        )


# --- Automatic rules ---------------------------------------------------------------------


def test_three_distinct_reporters_send_a_comment_back_to_moderation(
    users, consultation, mailoutbox, django_capture_on_commit_callbacks
):
    comment = post(users["citizen"], consultation)
    reporters = [factories.UserFactory() for _ in range(3)]
    for reporter in reporters[:2]:
        comments.report_comment(reporter=reporter, comment=comment, reason="abuse")
    assert Comment.objects.get(pk=comment.pk).state == State.PUBLISHED
    with django_capture_on_commit_callbacks(execute=True):
        comments.report_comment(reporter=reporters[2], comment=comment, reason="abuse")
    comment.refresh_from_db()
    assert comment.state == State.PENDING
    assert comment.hold_rule == "Signalé par 3 personnes"
    assert total(consultation) == 0
    assert ModerationAlert.objects.get().kind == ModerationAlert.Kind.REPORTS
    assert mailoutbox  # the moderators are told
    assert actions_logged(comment) == ["tribune.rule.reports"]


def test_the_report_threshold_is_a_setting(users, consultation):
    rules = ModerationRules.load()
    rules.report_threshold = 1
    rules.save()
    comment = post(users["citizen"], consultation)
    comments.report_comment(reporter=users["agent"], comment=comment, reason="spam")
    assert Comment.objects.get(pk=comment.pk).state == State.PENDING


def test_word_filter_holds_a_comment_and_shows_the_rule(users, consultation):
    rules = ModerationRules.load()
    rules.word_filter = "arnaque\n\\bidiot\\w*"
    rules.save()
    comment = post(users["citizen"], consultation, "Quels idiots, ces élus.")
    comment.refresh_from_db()
    assert comment.state == State.PENDING
    assert comment.hold_rule == "Filtre de mots : « \\bidiot\\w* »"
    assert actions_logged(comment) == ["tribune.rule.word_filter"]
    assert post(users["citizen"], consultation, "Un avis poli.").state == State.PUBLISHED


def test_an_invalid_pattern_is_refused(db):
    rules = ModerationRules.load()
    rules.word_filter = "ok\n(pas ferme"
    with pytest.raises(ValidationError) as error:
        rules.full_clean()
    assert "Ligne 2" in str(error.value)


def test_many_links_hold_a_comment(users, consultation):
    body = " ".join(f"https://exemple.test/{n}" for n in range(4))
    comment = post(users["citizen"], consultation, body)
    assert comment.state == State.PENDING
    assert Comment.objects.get(pk=comment.pk).hold_rule == "4 liens"


def test_a_watch_word_raises_an_alert_without_holding(
    users, consultation, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        comment = post(users["citizen"], consultation, "Il y a urgence au carrefour !")
    assert comment.state == State.PUBLISHED
    alert = ModerationAlert.objects.get()
    assert alert.kind == ModerationAlert.Kind.WATCH_WORD and alert.comment == comment
    assert mailoutbox and users["moderator"].email in mailoutbox[-1].to


def test_a_surge_raises_one_alert(users, consultation, settings):
    settings.TRIBUNE_RATE_LIMITS = {
        action: (1000, period) for action, (_n, period) in settings.TRIBUNE_RATE_LIMITS.items()
    }
    with time_machine.travel(timezone.now().replace(second=1), tick=False):
        for n in range(12):
            post(users["citizen"], consultation, f"Avis {n}")
    assert ModerationAlert.objects.filter(kind=ModerationAlert.Kind.SURGE).count() == 1


def test_site_wide_default_moderation(users, consultation_index):
    page = factories.consultation(
        consultation_index, title="Par défaut", comment_moderation=CommentModeration.SITE_DEFAULT
    )
    assert post(users["citizen"], page).state == State.PUBLISHED
    rules = ModerationRules.load()
    rules.default_moderation = "a_priori"
    rules.save()
    page = type(page).objects.get(pk=page.pk)
    assert post(users["citizen"], page, "Deuxième").state == State.PENDING


# --- Crisis mode ------------------------------------------------------------------------


def test_crisis_switches_apply_at_once_and_are_logged(users, consultation, settings):
    moderator = users["moderator"]
    services.set_crisis(moderator=moderator, consultation=consultation, a_priori=True)
    assert post(users["citizen"], consultation).state == State.PENDING
    services.set_crisis(moderator=moderator, consultation=consultation, slow_mode_minutes=10)
    with pytest.raises(ValidationError) as error:
        post(users["citizen"], consultation, "Encore un")
    assert "10 minutes" in error.value.messages[0]
    with pytest.raises(ValidationError):
        services.set_crisis(moderator=moderator, consultation=consultation, frozen=True)
    services.set_crisis(
        moderator=moderator,
        consultation=consultation,
        frozen=True,
        message="Débat suspendu après des menaces.",
    )
    with pytest.raises(PermissionDenied) as refusal:
        post(users["agent"], consultation)
    assert str(refusal.value) == "Débat suspendu après des menaces."
    actions = list(PageLogEntry.objects.filter(page=consultation).values_list("action", flat=True))
    assert {"tribune.crisis.a_priori", "tribune.crisis.slow_mode", "tribune.crisis.freeze"} <= set(
        actions
    )
    with pytest.raises(PermissionDenied):
        services.set_crisis(
            moderator=users["communication"], consultation=consultation, frozen=False
        )


# --- Public summary and the author's page -------------------------------------------------


def test_public_summary_counts_by_reason_never_content(client, users, consultation):
    kept = post(users["citizen"], consultation, "Texte publié")
    gone = post(users["citizen"], consultation, "Texte secret à masquer")
    services.hide(moderator=users["moderator"], comment=gone, reason="personal_data")
    html = client.get(
        f"/participation/consultations/{consultation.pk}/moderation/"
    ).content.decode()
    assert "Données personnelles d’autrui" in html
    assert "Texte secret" not in html and kept.body not in html


def test_the_author_reads_the_reason_and_contests_on_the_site(client, users, premoderated):
    comment, decision = rejected(users, premoderated)
    client.force_login(users["citizen"])
    url = "/participation/moderation/mes-decisions/"
    html = client.get(url).content.decode()
    assert "Hors sujet" in html and "Contester cette décision" in html
    response = client.post(url, {"decision": decision.pk, "text": ""})
    assert response.status_code == 400
    response = client.post(url, {"decision": decision.pk, "text": "C’était dans le sujet."})
    assert response.status_code == 302
    assert Appeal.objects.get().comment == comment
    assert "Vous avez contesté cette décision." in client.get(url).content.decode()


def test_the_authors_moderation_page_is_linked_from_the_account_menu_and_my_data(
    client, users, premoderated
):
    from consent.services.defaults import ensure_defaults

    ensure_defaults()
    rejected(users, premoderated)
    client.force_login(users["citizen"])
    link = 'href="/participation/moderation/mes-decisions/">Modération de mes commentaires</a>'
    assert link in client.get("/").content.decode()  # the account menu, on every page
    my_data = client.get("/mes-donnees/").content.decode()
    held = my_data[my_data.index("Ce que nous détenons sur vous") :]
    assert link in held[: held.index("</table>")]


def test_the_crisis_history_says_which_way_each_switch_went(users, consultation):
    from wagtail.log_actions import registry as log_registry

    moderator = users["moderator"]
    message = "Débat suspendu."
    services.set_crisis(
        moderator=moderator, consultation=consultation, frozen=True, message=message
    )
    services.set_crisis(moderator=moderator, consultation=consultation, frozen=False)
    services.set_crisis(moderator=moderator, consultation=consultation, slow_mode_minutes=10)
    services.set_crisis(moderator=moderator, consultation=consultation, a_priori=True)
    entries = PageLogEntry.objects.filter(page=consultation).order_by("pk")
    said = [
        log_registry.get_formatter(entry).format_message(entry)
        for entry in entries
        if "crisis" in entry.action
    ]
    assert said == [
        "Consultation gelée",
        "Consultation dégelée",
        "Mode lent : un commentaire par personne toutes les 10 minutes",
        "Modération a priori activée",
    ]


def test_the_charter_is_linked_from_the_comment_form(client, users, consultation, site_tree):
    from cms.models import NavigationSettings

    charter = factories.standard_page(
        site_tree["home"], title="Charte de modération", slug="charte"
    )
    navigation = NavigationSettings.for_site(consultation.get_site())
    navigation.charter_page = charter
    navigation.save()
    client.force_login(users["citizen"])
    html = client.get(consultation.url).content.decode()
    assert f'href="{charter.url}"' in html
    assert "Lire la charte de modération" in html


# --- Personal data ------------------------------------------------------------------------


def test_the_export_holds_the_moderation_decisions_about_the_person(users, premoderated):
    from consent.services.exports import collect

    _comment, decision = rejected(users, premoderated)
    services.contest(author=users["citizen"], decision=decision, text="Pas d’accord.")
    services.ban(moderator=users["moderator"], user=users["citizen"], reason="Spam", days=3)
    found = {entry.export_name: list(rows) for entry, _columns, rows in collect(users["citizen"])}
    (row,) = found["decisions-de-moderation"]
    assert row["decision"] == "Refusé" and row["reason"] == "Hors sujet"
    assert "moderator" not in row  # who decided stays with the moderators
    assert found["contestations"][0]["text"] == "Pas d’accord."
    assert found["bannissements"][0]["reason"] == "Spam"


def test_deleting_accounts_keeps_the_moderation_record_unlinked(users, premoderated):
    from consent.registry import Choice
    from consent.services.erasure import erase_accounts

    comment, _decision = rejected(users, premoderated)
    services.ban(moderator=users["moderator"], user=users["citizen"], reason="Spam", days=3)
    erase_accounts([users["citizen"].pk, users["moderator"].pk], choice=Choice.ANONYMISE)
    decision = ModerationDecision.objects.get(comment=comment)
    assert (decision.author_id, decision.moderator_id) == (None, None)
    assert not Ban.objects.exists()


def test_an_edit_cannot_slip_past_the_word_filter(users, consultation):
    rules = ModerationRules.load()
    rules.word_filter = "arnaque"
    rules.save()
    comment = post(users["citizen"], consultation, "Un avis poli.")
    comments.edit_comment(user=users["citizen"], comment=comment, body="Quelle arnaque !")
    comment.refresh_from_db()
    assert comment.state == State.PENDING
    assert comment.hold_rule == "Filtre de mots : « arnaque »"
    assert total(consultation) == 0
