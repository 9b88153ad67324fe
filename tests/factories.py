"""Test data: users by role and a minimal page tree, built through the real models."""

from datetime import timedelta

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.utils import timezone
from django.utils.text import slugify
from wagtail.models import Page, Site

from accounts import roles
from accounts.models import User
from cms.models import ConsultationIndexPage, HomePage, NewsIndexPage, NewsPage, StandardPage
from consent.models import LegalDocumentKind
from consent.services import records
from participation.models import ConsultationPage

PASSWORD = "un-mot-de-passe-solide-42"
# Staff reach the admin only with a second factor; tests compute their codes
# from this secret (accounts.middleware).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"personne{n}@exemple.test")
    display_name = factory.Sequence(lambda n: f"Habitant·e {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create:
            group, _created = Group.objects.get_or_create(name=extracted or roles.CITIZENS)
            self.groups.add(group)
            self.save()

    @factory.post_generation
    def accepted_terms(self, create, extracted, **kwargs):
        """Like a person who signed up: the terms in force are accepted, unless
        `accepted_terms=False`."""
        if create and extracted is not False:
            terms = records.current_document(LegalDocumentKind.TERMS)
            if terms is not None:
                records.accept_terms(self, terms=terms)

    @factory.post_generation
    def second_factor(self, create, extracted, **kwargs):
        """Staff accounts get a TOTP authenticator, unless `second_factor=False`."""
        if create and (extracted or (extracted is None and (self.is_staff or self.is_superuser))):
            from allauth.mfa.totp.internal.auth import TOTP

            TOTP.activate(self, TOTP_SECRET)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        if create:
            EmailAddress.objects.create(
                user=self, email=self.email, primary=True, verified=extracted is not False
            )


def add_page(parent, page):
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def build_site():
    """Root → HomePage (default site) → consultation index, news index."""
    root = Page.get_first_root_node() or Page.add_root(title="Root", slug="root")
    home = add_page(root, HomePage(title="Accueil de test", slug="accueil-test"))
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "root_page": home, "site_name": "Test"},
    )
    index = add_page(home, ConsultationIndexPage(title="Consultations", slug="consultations"))
    news = add_page(home, NewsIndexPage(title="Actualités", slug="actualites"))
    return home, index, news


def consultation(
    index, *, title="Une consultation", opens_in=-1, closes_in=30, themes=(), slug=None, **fields
):
    now = timezone.now()
    page = ConsultationPage(
        title=title,
        slug=slug or slugify(title),
        summary=fields.pop("summary", f"Résumé de « {title} »."),
        body=fields.pop("body", [{"type": "paragraph", "value": "<p>Le texte.</p>"}]),
        opens_at=now + timedelta(days=opens_in),
        closes_at=None if closes_in is None else now + timedelta(days=closes_in),
        **fields,
    )
    page.tags.add(*themes)
    return add_page(index, page)


def standard_page(parent, title="Mentions légales", slug="mentions-legales", text="Texte."):
    return add_page(
        parent,
        StandardPage(
            title=title, slug=slug, body=[{"type": "paragraph", "value": f"<p>{text}</p>"}]
        ),
    )


def news_page(index, title="Une nouvelle", slug="une-nouvelle", days_ago=0):
    return add_page(
        index,
        NewsPage(
            title=title,
            slug=slug,
            summary="Résumé.",
            date=timezone.localdate() - timedelta(days=days_ago),
            body=[{"type": "paragraph", "value": "<p>Texte.</p>"}],
        ),
    )


DEFAULT_POLL_QUESTIONS = [
    ("Comment venez-vous au centre-ville ?", "single", None, ["À vélo", "En bus", "En voiture"]),
    (
        "Quels aménagements voulez-vous ?",
        "multiple",
        2,
        ["Des pistes cyclables", "Des arceaux", "Un atelier de réparation"],
    ),
    ("Une remarque ?", "text", None, []),
]


def poll(consultation, *, title="Vos déplacements", questions=None, published=True, **fields):
    """A poll with its questions and choices: (text, kind, maximum, [choice labels])."""
    from participation.models import Choice, Poll, Question
    from participation.queries import polls as poll_queries

    created = Poll.objects.create(
        consultation=consultation, title=title, is_published=published, **fields
    )
    for order, (text, kind, maximum, labels) in enumerate(questions or DEFAULT_POLL_QUESTIONS):
        question = Question.objects.create(
            poll=created, text=text, kind=kind, max_choices=maximum, sort_order=order
        )
        for n, label in enumerate(labels):
            Choice.objects.create(question=question, label=label, sort_order=n)
    return (
        Poll.objects.select_related("consultation")
        .prefetch_related(poll_queries.structure())
        .get(pk=created.pk)
    )


def choice_ids(poll, question_index) -> list:
    """Ids of the choices of the poll's n-th question, in order."""
    return [choice.pk for choice in poll.questions.all()[question_index].choices.all()]


def bulk_thread(consultation, size, authors, *, reply_share=0.3, seed=7, batch=5000):
    """A thread of `size` published comments (about `reply_share` of them replies at
    every depth) with supports counted, written in bulk with every counter and path as
    the services would leave them. For query-count tests and benchmarks/thread.py."""
    import random

    from django.db import connection
    from django.db.models import Max

    from participation.models import Comment, Support, ThreadStats
    from participation.models.comments import MAX_DEPTH, path_segment

    rng = random.Random(seed)
    next_id = (Comment.objects.aggregate(top=Max("id"))["top"] or 0) + 1
    tops, replies, nodes = [], [], []
    top_count = max(1, round(size * (1 - reply_share)))
    by_id = {}
    for n in range(size):
        pk = next_id + n
        if n < top_count:
            comment = Comment(
                pk=pk,
                consultation_id=consultation.pk,
                author=authors[n % len(authors)],
                depth=0,
                path=path_segment(pk, False),
                body=f"Commentaire n° {n} : plus de pistes cyclables entre la gare et le lycée.",
                supports_count=min(len(authors) - 1, rng.choice((0, 0, 0, 1, 2, 3, 5, 8, 13, 40))),
            )
            tops.append(comment)
        else:
            parent = rng.choice(nodes[-2000:] if rng.random() < 0.8 else nodes)
            if parent.depth >= MAX_DEPTH - 1:
                parent = by_id[parent.parent_id]
            comment = Comment(
                pk=pk,
                consultation_id=consultation.pk,
                author=authors[n % len(authors)],
                parent_id=parent.pk,
                root_id=parent.root_id or parent.pk,
                depth=parent.depth + 1,
                path=parent.path + path_segment(pk, False),
                body=f"Réponse n° {n} : d’accord, surtout aux heures de pointe.",
                supports_count=min(len(authors) - 1, rng.choice((0, 0, 1, 2))),
            )
            replies.append(comment)
            ancestor = parent
            while ancestor is not None:
                ancestor.replies_count += 1
                ancestor = by_id.get(ancestor.parent_id)
        by_id[pk] = comment
        nodes.append(comment)
    Comment.objects.bulk_create(tops + replies, batch_size=batch)
    # One real Support row behind every counted support, from people other than the author.
    supports = []
    for comment in tops + replies:
        if comment.supports_count:
            others = [a for a in authors if a.pk != comment.author.pk]
            supports += [
                Support(comment_id=comment.pk, user=user)
                for user in rng.sample(others, comment.supports_count)
            ]
    Support.objects.bulk_create(supports, batch_size=batch)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('participation_comment', 'id'), "
                "(SELECT MAX(id) FROM participation_comment))"
            )
    stats, _created = ThreadStats.objects.get_or_create(consultation_id=consultation.pk)
    stats.comments += size
    stats.save()
    return tops, replies
