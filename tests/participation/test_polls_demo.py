"""The demo site comes with French polls whose charts mean something."""

from django.core.management import call_command

from participation.models import Ballot, Poll, TextAnswer
from participation.queries import polls as poll_queries


def test_demo_polls_are_loaded_once_with_exact_tallies(db, client, capsys):
    call_command("load_demo")
    out = capsys.readouterr().out
    assert "sondage « Vos trajets à vélo » créé" in out
    bike = Poll.objects.get(consultation__slug="plan-velo-2027")
    library = Poll.objects.get(consultation__slug="horaires-mediatheque")
    assert [q.kind for q in bike.questions.order_by("sort_order")] == ["single", "multiple", "text"]
    assert bike.questions.get(kind="multiple").max_choices == 3
    assert library.is_closed and library.results_visibility == "after_closing"
    for poll in (bike, library):
        shown = poll_queries.results([poll])[poll.pk]
        assert {k: v for k, v in shown.counts.items() if v} == (
            poll_queries.counted_from_ballots(poll).counts
        )
    assert poll_queries.results([library])[library.pk].participants >= 300
    assert TextAnswer.objects.filter(ballot__poll=bike).exists()

    counts = (Poll.objects.count(), Ballot.objects.count())
    call_command("load_demo")
    assert (Poll.objects.count(), Ballot.objects.count()) == counts

    # The closed consultation shows its results to everyone, free text never.
    html = client.get(library.consultation.url).content.decode()
    assert "Sondage clos" in html
    assert "Voir ces résultats sous forme de tableau" in html
    bike_page = client.get(bike.consultation.url).content.decode()
    assert "Vos trajets à vélo" in bike_page
    assert "rond-point de la gare" not in bike_page
