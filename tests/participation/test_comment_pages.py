"""The thread as people use it through the site: plain form posts (POST → redirect →
GET), the in-place fragments of enhance.js, and what comes back when something is
refused (the typed text, always)."""

import re
from datetime import timedelta
from html import unescape
from urllib.parse import unquote

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import Site

from cms.models import BrandingSettings
from participation.models import Comment, CommentModeration, Report, State
from participation.services import comments as services
from tests import factories
from tests.clients import BROWSER

FRAGMENT = {"HTTP_X_TRIBUNE_FRAGMENT": "1"}


@pytest.fixture(autouse=True)
def _roomy_limits(settings):
    # Threads are built through the services; tests of the limits set their own.
    settings.TRIBUNE_RATE_LIMITS = {
        action: (1000, period) for action, (_n, period) in settings.TRIBUNE_RATE_LIMITS.items()
    }


@pytest.fixture
def citizen_client(client, users):
    client.force_login(users["citizen"])
    return client


def post(author, consultation, body="Un avis.", **kwargs):
    return services.post_comment(author=author, consultation=consultation, body=body, **kwargs)


def page_html(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def create_url(consultation):
    return f"/participation/consultations/{consultation.pk}/commenter/"


def textarea(html, field_id) -> str:
    match = re.search(rf'<textarea id="{field_id}"[^>]*>(.*?)</textarea>', html, re.S)
    assert match, f"no textarea #{field_id}"
    return unescape(match.group(1))


def announced(response) -> str:
    return unquote(response["X-Tribune-Announce"])


# --- Reading ----------------------------------------------------------------------------


def test_visitor_reads_the_thread_and_is_told_how_to_take_part(client, users, consultation):
    post(users["citizen"], consultation, "Plus de pistes, svp.")
    html = page_html(client, consultation.url)
    assert "Commentaires" in html and "(1 contribution)" in html
    assert "Plus de pistes, svp." in html
    assert "Connectez-vous pour participer." in html
    assert "/compte/connexion/?next=" in html
    assert 'name="body"' not in html  # no form to fill in vain


def test_empty_thread_invites_the_first_comment(citizen_client, consultation):
    html = page_html(citizen_client, consultation.url)
    assert "Aucun commentaire pour l’instant. Le vôtre peut être le premier." in html
    assert '<label for="comment-body">Votre commentaire</label>' in html


# A comment full of markup, and how every path that shows it must write it (the live
# frames' path reuses it: tests/participation/test_live.py).
MARKUP_BODY = '<script>alert("x")</script> <b>gras</b>\nVoir https://exemple.fr/plan?a=1&b=2'
MARKUP_SHOWN = (
    "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &lt;b&gt;gras&lt;/b&gt;<br>",
    '<a href="https://exemple.fr/plan?a=1&amp;b=2" rel="nofollow ugc">'
    "https://exemple.fr/plan?a=1&amp;b=2</a>",
)
MARKUP_NEVER = ("<script>alert", "<b>gras</b>")


def test_html_is_shown_as_text_and_addresses_become_safe_links(client, users, consultation):
    post(users["citizen"], consultation, MARKUP_BODY)
    html = page_html(client, consultation.url)
    for never in MARKUP_NEVER:
        assert never not in html
    for shown in MARKUP_SHOWN:
        assert shown in html


def test_official_answer_shows_the_badge_with_the_institution(client, users, consultation):
    branding = BrandingSettings.for_site(Site.objects.get(is_default_site=True))
    branding.institution_name = "Mairie de Testville"
    branding.save()
    top = post(users["citizen"], consultation, "Quand ?")
    post(users["agent"], consultation, "En mars.", parent=top, official=True)
    html = page_html(client, consultation.url)
    assert "Réponse officielle · Mairie de Testville" in html


def test_pending_comment_is_shown_only_to_its_author(client, users, consultation):
    consultation.comment_moderation = CommentModeration.A_PRIORI
    consultation.save()
    post(users["citizen"], consultation, "Texte à relire")
    assert "Texte à relire" not in page_html(client, consultation.url)
    client.force_login(users["citizen"])
    html = page_html(client, consultation.url)
    assert "Texte à relire" in html
    assert "En attente de modération : vous seul·e voyez ce commentaire" in html
    client.force_login(users["agent"])
    assert "Texte à relire" not in page_html(client, consultation.url)


def test_deleted_comment_leaves_a_placeholder_and_its_replies(client, users, consultation):
    top = post(users["citizen"], consultation, "Texte retiré")
    post(users["agent"], consultation, "Réponse gardée", parent=top)
    services.delete_comment(user=users["citizen"], comment=top)
    html = page_html(client, consultation.url)
    assert "Texte retiré" not in html
    assert "Commentaire supprimé par son auteur" in html
    assert "Réponse gardée" in html


# --- Posting without JavaScript ---------------------------------------------------------


def test_citizen_comments_with_a_plain_form_post(citizen_client, consultation):
    response = citizen_client.post(
        create_url(consultation), {"body": "Des arceaux devant la poste.", "key": ""}
    )
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == (
        f"{consultation.url}?commentaire={comment.pk}#commentaire-{comment.pk}"
    )
    html = page_html(citizen_client, response["Location"])
    assert "Votre commentaire est publié." in html
    assert "Des arceaux devant la poste." in html


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Écrivez votre commentaire avant de le publier."),
        ("x" * 2001, "Votre commentaire fait 2001 caractères : 2000 au maximum"),
    ],
)
def test_refused_text_comes_back_in_the_form(citizen_client, consultation, body, message):
    response = citizen_client.post(create_url(consultation), {"body": body})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert textarea(html, "comment-body") == body
    assert 'aria-invalid="true"' in html
    assert not Comment.objects.exists()


def test_rate_limited_comment_keeps_the_text(citizen_client, consultation, settings):
    settings.TRIBUNE_RATE_LIMITS = {**settings.TRIBUNE_RATE_LIMITS, "comment": (1, 60)}
    citizen_client.post(create_url(consultation), {"body": "Premier."})
    response = citizen_client.post(create_url(consultation), {"body": "Mon long texte."})
    assert response.status_code == 429
    html = response.content.decode()
    assert "Vous allez un peu vite" in html
    assert textarea(html, "comment-body") == "Mon long texte."
    assert Comment.objects.count() == 1


def test_comment_posted_after_closing_is_refused_with_the_text_kept(
    citizen_client, consultation_index
):
    closed = factories.consultation(consultation_index, opens_in=-10, closes_in=-1)
    response = citizen_client.post(create_url(closed), {"body": "Trop tard ?"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "Cette consultation est terminée." in html
    assert textarea(html, "comment-body") == "Trop tard ?"


def test_session_expired_keeps_the_text(client, consultation):
    response = client.post(create_url(consultation), {"body": "Écrit avant d’être déconnecté."})
    assert response.status_code == 403
    html = response.content.decode()
    assert "Connectez-vous pour participer." in html
    assert textarea(html, "comment-body") == "Écrit avant d’être déconnecté."


def test_double_click_posts_once(citizen_client, consultation):
    data = {"body": "Un seul, merci.", "key": "0b8e0f4e-5a7c-4b59-9d0c-2f1f7b0b6d11"}
    first = citizen_client.post(create_url(consultation), data)
    second = citizen_client.post(create_url(consultation), data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Comment.objects.count() == 1


def test_csrf_is_required(users, consultation):
    from tests.clients import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(users["citizen"])
    response = client.post(create_url(consultation), {"body": "Sans jeton"})
    assert response.status_code == 403
    assert not Comment.objects.exists()


# --- In place (enhance.js) --------------------------------------------------------------


def test_in_place_comment_answers_the_compose_fragment(citizen_client, consultation):
    response = citizen_client.post(
        create_url(consultation), {"body": "Sans recharger."}, **FRAGMENT
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="comment-compose"')
    assert "Sans recharger." in html
    assert textarea(html, "comment-body") == ""  # a fresh form for the next one
    assert announced(response) == "Votre commentaire est publié."


def test_in_place_refusal_keeps_the_text(citizen_client, consultation):
    response = citizen_client.post(create_url(consultation), {"body": "y" * 2001}, **FRAGMENT)
    html = response.content.decode()
    assert textarea(html, "comment-body") == "y" * 2001
    assert announced(response).startswith("Votre commentaire fait 2001 caractères")


def test_in_place_reply_support_edit_delete(citizen_client, users, consultation):
    top = post(users["agent"], consultation, "Avis de départ")
    response = citizen_client.post(
        f"/participation/commentaires/{top.pk}/repondre/", {"body": "Ma réponse"}, **FRAGMENT
    )
    html = response.content.decode()
    assert html.lstrip().startswith(f'<div class="comment__reply" id="reply-{top.pk}">')
    assert "Ma réponse" in html
    reply = Comment.objects.get(parent=top)

    response = citizen_client.post(
        f"/participation/commentaires/{top.pk}/soutenir/", {"supported": "1"}, **FRAGMENT
    )
    html = response.content.decode()
    assert 'aria-pressed="true"' in html
    assert '<span class="support-count">1</span>' in html
    assert announced(response) == "Vous soutenez ce commentaire."

    response = citizen_client.post(
        f"/participation/commentaires/{reply.pk}/modifier/",
        {"body": "Réponse corrigée"},
        **FRAGMENT,
    )
    html = response.content.decode()
    assert html.lstrip().startswith(f'<article class="comment__card" id="c-{reply.pk}"')
    assert "Réponse corrigée" in html and "modifié" in html

    response = citizen_client.post(
        f"/participation/commentaires/{reply.pk}/supprimer/", {}, **FRAGMENT
    )
    assert "Commentaire supprimé par son auteur" in response.content.decode()
    assert announced(response) == "Votre commentaire est supprimé."


# --- Other actions without JavaScript ---------------------------------------------------


def test_reply_form_opens_in_place(citizen_client, users, consultation):
    top = post(users["agent"], consultation, "Avis de départ")
    html = page_html(citizen_client, consultation.url)
    assert f'<a class="comment__tool" href="/participation/commentaires/{top.pk}/repondre/"' in html
    assert f'id="reply-body-{top.pk}"' not in html  # the form comes on demand
    response = citizen_client.get(f"/participation/commentaires/{top.pk}/repondre/", **FRAGMENT)
    html = response.content.decode()
    assert html.lstrip().startswith('<div class="comment__reply comment__reply--open"')
    assert textarea(html, f"reply-body-{top.pk}") == ""


def test_reply_page_and_reply(citizen_client, users, consultation):
    top = post(users["agent"], consultation, "Avis de départ")
    html = page_html(citizen_client, f"/participation/commentaires/{top.pk}/repondre/")
    assert "Répondre à un commentaire" in html and "Avis de départ" in html
    response = citizen_client.post(
        f"/participation/commentaires/{top.pk}/repondre/", {"body": "D’accord."}
    )
    reply = Comment.objects.get(parent=top)
    assert response["Location"].endswith(f"?commentaire={reply.pk}#commentaire-{reply.pk}")


def test_reply_to_a_deleted_comment_keeps_the_text(citizen_client, users, consultation):
    top = post(users["agent"], consultation)
    services.delete_comment(user=users["agent"], comment=top)
    response = citizen_client.post(
        f"/participation/commentaires/{top.pk}/repondre/", {"body": "Ma réponse perdue ?"}
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert "Ce commentaire ne peut plus recevoir de réponses." in html
    assert textarea(html, f"reply-body-{top.pk}") == "Ma réponse perdue ?"


def test_support_without_javascript(citizen_client, users, consultation):
    top = post(users["agent"], consultation)
    response = citizen_client.post(
        f"/participation/commentaires/{top.pk}/soutenir/", {"supported": "1"}
    )
    assert response.status_code == 302
    top.refresh_from_db()
    assert top.supports_count == 1
    html = page_html(citizen_client, response["Location"])
    assert "Vous soutenez ce commentaire." in html


def test_support_of_ones_own_comment_is_explained(citizen_client, users, consultation):
    own = post(users["citizen"], consultation)
    response = citizen_client.post(
        f"/participation/commentaires/{own.pk}/soutenir/", {"supported": "1"}, **FRAGMENT
    )
    assert response.status_code == 403
    assert "Vous ne pouvez pas soutenir votre propre commentaire." in response.content.decode()


def test_edit_after_the_window_keeps_the_new_text(citizen_client, users, consultation):
    comment = post(users["citizen"], consultation, "Ancien texte")
    with time_machine.travel(timezone.now() + timedelta(minutes=20), tick=False):
        response = citizen_client.post(
            f"/participation/commentaires/{comment.pk}/modifier/", {"body": "Nouveau texte"}
        )
    assert response.status_code == 403
    html = response.content.decode()
    assert "pendant les 15 minutes" in html
    assert textarea(html, "edit-body") == "Nouveau texte"
    comment.refresh_from_db()
    assert comment.body == "Ancien texte"


def test_delete_asks_first_then_deletes(citizen_client, users, consultation):
    comment = post(users["citizen"], consultation, "À retirer")
    html = page_html(citizen_client, f"/participation/commentaires/{comment.pk}/supprimer/")
    assert "Supprimer votre commentaire ?" in html and "Supprimer définitivement" in html
    response = citizen_client.post(f"/participation/commentaires/{comment.pk}/supprimer/")
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.state == State.DELETED


def test_report_page(citizen_client, users, consultation):
    comment = post(users["agent"], consultation)
    url = f"/participation/commentaires/{comment.pk}/signaler/"
    html = page_html(citizen_client, url)
    assert "Pourquoi signalez-vous ce commentaire ?" in html
    assert "Insulte ou harcèlement" in html and "Données personnelles" in html
    response = citizen_client.post(url, {"reason": "other", "details": ""})
    assert response.status_code == 400
    assert "Dites en quelques mots ce qui pose problème." in response.content.decode()
    response = citizen_client.post(url, {"reason": "abuse", "details": "Propos insultants."})
    assert response.status_code == 302
    assert Report.objects.get().reason == "abuse"
    html = page_html(citizen_client, response["Location"])
    assert "votre signalement a été transmis" in html
    again = citizen_client.post(url, {"reason": "spam"})
    assert "Vous avez déjà signalé ce commentaire" in again.content.decode()


def test_report_of_ones_own_comment_is_explained(citizen_client, users, consultation):
    own = post(users["citizen"], consultation)
    html = page_html(citizen_client, f"/participation/commentaires/{own.pk}/signaler/")
    assert "Vous ne pouvez pas signaler votre propre commentaire." in html
    assert 'name="reason"' not in html


def test_unknown_or_hidden_comment_is_a_404(client, users, consultation):
    assert client.get("/participation/commentaires/999999/").status_code == 404
    comment = post(users["citizen"], consultation)
    services.move_to_state(comment, State.REJECTED)
    assert client.get(f"/participation/commentaires/{comment.pk}/").status_code == 404


# --- Sorting, pages, permalinks ---------------------------------------------------------


def ids_on(html) -> list[int]:
    return [
        int(pk)
        for pk in re.findall(r'<li class="comment comment--depth-0" id="commentaire-(\d+)"', html)
    ]


def next_link(html) -> str | None:
    match = re.search(r'rel="next" href="([^"]+)"', html)
    return unescape(match.group(1)) if match else None


def test_twenty_at_a_time_with_a_plain_next_link(client, users, consultation):
    comments = [post(users["agent"], consultation, f"Avis {n}") for n in range(23)]
    html = page_html(client, consultation.url)
    first = ids_on(html)
    assert first == [c.pk for c in reversed(comments)][:20]
    link = next_link(html)
    assert link.startswith("?tri=recents&apres=")
    second = ids_on(page_html(client, consultation.url + link))
    assert second == [c.pk for c in reversed(comments)][20:]
    assert next_link(page_html(client, consultation.url + link)) is None


def test_most_supported_order_pages_through_ties_without_repeats(client, users, consultation):
    comments = [post(users["citizen"], consultation, f"Avis {n}") for n in range(25)]
    Comment.objects.filter(pk__in=[c.pk for c in comments[:10]]).update(supports_count=3)
    seen = []
    url = consultation.url + "?tri=soutenus"
    while url:
        html = page_html(client, url)
        seen += ids_on(html)
        link = next_link(html)
        url = consultation.url + link if link else None
    assert len(seen) == len(set(seen)) == 25
    assert seen[:10] == sorted((c.pk for c in comments[:10]), reverse=True)


def test_most_discussed_and_oldest_orders(client, users, consultation):
    quiet = post(users["citizen"], consultation, "Calme")
    busy = post(users["citizen"], consultation, "Animé")
    newest = post(users["citizen"], consultation, "Récent")
    post(users["agent"], consultation, "Réponse", parent=busy)
    assert ids_on(page_html(client, consultation.url + "?tri=discutes"))[0] == busy.pk
    assert ids_on(page_html(client, consultation.url + "?tri=anciens")) == [
        quiet.pk,
        busy.pk,
        newest.pk,
    ]


def test_official_filter(client, users, consultation):
    plain = post(users["citizen"], consultation, "Sans réponse")
    answered = post(users["citizen"], consultation, "Avec réponse")
    post(users["agent"], consultation, "Réponse officielle", parent=answered, official=True)
    html = page_html(client, consultation.url + "?officielles=1")
    assert ids_on(html) == [answered.pk]
    assert plain.pk not in ids_on(html)


@pytest.mark.parametrize(
    "query",
    ["?apres=nimporte-quoi", "?tri=soutenus&apres=WyJyZWNlbnRzIiwgMV0:1abc:bad", "?tri=bizarre"],
)
def test_bad_cursor_or_sort_gives_a_french_message_not_an_error(client, users, consultation, query):
    post(users["citizen"], consultation, "Toujours là")
    html = page_html(client, consultation.url + query)
    assert "Toujours là" in html
    assert "n’est pas valide" in html or "Ce tri n’existe pas" in html


def test_cursor_of_another_sort_is_refused(client, users, consultation):
    for n in range(21):
        post(users["agent"], consultation, f"Avis {n}")
    link = next_link(page_html(client, consultation.url))
    forged = link.replace("tri=recents", "tri=soutenus")
    html = page_html(client, consultation.url + forged)
    assert "Ce lien de page n’est pas valide" in html


def test_permalink_opens_the_page_at_an_old_comment_and_a_deep_reply(client, users, consultation):
    old = post(users["citizen"], consultation, "Le tout premier avis")
    replies = [post(users["agent"], consultation, f"Réponse {n}", parent=old) for n in range(5)]
    for n in range(30):
        post(users["agent"], consultation, f"Avis récent {n}")
    assert "Le tout premier avis" not in page_html(client, consultation.url)
    target = replies[-1]
    response = client.get(f"/participation/commentaires/{target.pk}/")
    assert response.status_code == 302
    html = page_html(client, response["Location"])
    assert ids_on(html)[0] == old.pk
    assert f'id="commentaire-{target.pk}"' in html
    assert "Revenir au début de la discussion" in html


def test_long_reply_lists_are_collapsed_with_a_link_to_all(client, users, consultation):
    top = post(users["citizen"], consultation, "Sujet")
    replies = [post(users["agent"], consultation, f"Réponse {n}", parent=top) for n in range(6)]
    html = page_html(client, consultation.url)
    shown = [pk for pk in (r.pk for r in replies) if f'id="commentaire-{pk}"' in html]
    assert shown == [r.pk for r in replies[:3]]
    assert "Voir les 6 réponses" in html
    all_replies = page_html(client, f"/participation/commentaires/{top.pk}/reponses/")
    assert all(f'id="commentaire-{r.pk}"' in all_replies for r in replies)
    fragment = client.get(f"/participation/commentaires/{top.pk}/reponses/", **FRAGMENT)
    assert fragment.content.decode().lstrip().startswith(f'<div id="thread-of-{top.pk}"')


def test_replies_page_pages_through_long_threads(client, users, consultation, settings):
    settings.TRIBUNE_COMMENT_REPLIES_PER_PAGE = 4
    top = post(users["citizen"], consultation, "Sujet")
    replies = [post(users["agent"], consultation, f"Réponse {n}", parent=top) for n in range(6)]
    url = f"/participation/commentaires/{top.pk}/reponses/"
    html = page_html(client, url)
    link = re.search(r'href="([^"]*reponses/\?apres=[^"]+)"', html).group(1)
    rest = page_html(client, unescape(link))
    assert all(f'id="commentaire-{r.pk}"' in rest for r in replies[4:])
    assert f'id="commentaire-{replies[0].pk}"' not in rest


# --- Constant cost -----------------------------------------------------------------------


def count_queries(client, url) -> int:
    client.get(url, HTTP_USER_AGENT=BROWSER)  # warm per-process caches (site root, settings)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ["anonymous", "citizen"])
def test_thread_page_query_count_does_not_grow_with_the_thread(
    client, users, consultation_index, role, settings
):
    # What rendering costs, not what the anonymous page cache saves (tests/cms).
    settings.TRIBUNE_PAGE_CACHE_SECONDS = 0
    small = factories.consultation(consultation_index, title="Petite")
    large = factories.consultation(consultation_index, title="Grande")
    authors = [users["citizen"], users["agent"], users["moderator"]]
    factories.bulk_thread(small, 10, authors)
    tops, _replies = factories.bulk_thread(large, 1000, authors)
    for comment in tops[-5:]:
        services.set_support(user=users["communication"], comment=comment, supported=True)
    if role != "anonymous":
        client.force_login(users[role])
    counts = {}
    for name, page in (("small", small), ("large", large)):
        counts[name] = count_queries(client, page.url)
        counts[name + "_supported"] = count_queries(client, page.url + "?tri=soutenus")
        html = page_html(client, page.url)
        link = next_link(html)
        if link:
            counts[name + "_next"] = count_queries(client, page.url + link)
    assert counts["small"] == counts["large"]
    # Anonymous: the page, its tags, its results, the top-level comments, their first
    # replies, the crisis switches, the thread's total. Signed in, 11 more: the person,
    # the terms in force and their acceptance, their e-mail, ban and roles, their
    # supports, whether they follow, answered the feedback question and took part, and
    # the bell's unread count (one indexed count, whatever the number of notifications).
    # Site, routing, settings, menu, polls' structure and session come from memory.
    assert counts["large"] == {"anonymous": 7, "citizen": 18}[role]
    assert counts["small_supported"] == counts["large_supported"]
    assert counts["large_next"] == counts["large"]
    # Permalink into the large thread, and the replies of its busiest comment.
    busiest = max(tops, key=lambda c: c.replies_count)
    reply = Comment.objects.filter(root=busiest).order_by("-path").first()
    # Two more: the linked comment, then its ancestors beyond the first replies.
    assert count_queries(client, f"{large.url}?commentaire={reply.pk}") == counts["large"] + 2
