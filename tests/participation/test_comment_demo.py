"""The demo site comes with lively French threads, loaded once."""

from django.core.management import call_command

from participation.models import Comment, State, Support
from participation.models.comments import MAX_DEPTH


def test_demo_threads_are_realistic_and_loaded_once(db, client):
    call_command("load_demo", verbosity=0)
    velo = Comment.objects.filter(consultation__slug="plan-velo-2027")
    assert velo.filter(parent__isnull=True).count() >= 5
    assert velo.filter(depth=MAX_DEPTH - 1).exists()  # replies four levels deep
    assert velo.filter(is_official=True, author__email="agent@demo.tribune.test").exists()
    assert velo.filter(state=State.DELETED).exists()
    assert velo.exclude(position="").exists()
    pending = Comment.objects.get(state=State.PENDING)
    assert pending.consultation.slug == "budget-participatif-tilleuls"
    assert pending.consultation.premoderated
    assert pending.author.email == "citoyen@demo.tribune.test"
    counts = (Comment.objects.count(), Support.objects.count())

    call_command("load_demo", verbosity=0)
    assert (Comment.objects.count(), Support.objects.count()) == counts

    html = client.get(velo.first().consultation.url).content.decode()
    assert "Réponse officielle · Ville de Démo" in html
    assert "Commentaire supprimé par son auteur" in html
