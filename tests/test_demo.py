from allauth.account.models import EmailAddress
from django.core.management import call_command
from wagtail.models import Page, Site

from accounts import roles
from accounts.models import User
from cms.models import HomePage, StandardPage, Status
from participation import demo
from participation.models import ConsultationPage


def load(capsys):
    call_command("load_demo")
    return capsys.readouterr().out


def test_demo_builds_a_french_commune_with_every_status(db, capsys):
    out = load(capsys)
    assert "Démo chargée" in out
    assert "demo-tribune-2026" in out  # the logins are printed
    home = HomePage.objects.get()
    assert Site.objects.get(is_default_site=True).root_page_id == home.pk
    statuses = {page.status for page in ConsultationPage.objects.live()}
    assert statuses == {Status.OPEN, Status.UPCOMING, Status.CLOSED}
    assert ConsultationPage.objects.count() >= 3
    slugs = set(StandardPage.objects.values_list("slug", flat=True))
    assert {
        "mentions-legales",
        "accessibilite",
        "charte-de-moderation",
    } <= slugs


def test_demo_has_one_verified_account_per_role(db, capsys):
    load(capsys)
    for account in demo.ACCOUNTS:
        user = User.objects.get(email=account.email)
        assert user.check_password(demo.DEMO_PASSWORD)
        assert user.groups.filter(name=account.role).exists()
        assert EmailAddress.objects.get(email=account.email).verified
    assert {a.role for a in demo.ACCOUNTS} == set(roles.ALL)


def test_demo_is_idempotent(db, capsys):
    load(capsys)
    counts = (Page.objects.count(), User.objects.count(), EmailAddress.objects.count())
    out = load(capsys)
    assert "rien à créer" in out
    assert (Page.objects.count(), User.objects.count(), EmailAddress.objects.count()) == counts


def test_if_empty_skips_a_site_that_has_content(db, capsys):
    load(capsys)
    call_command("load_demo", "--if-empty")
    assert "démo non chargée" in capsys.readouterr().out


def test_demo_pages_render(client, db, capsys):
    load(capsys)
    for page in Page.objects.live().filter(depth__gt=1).specific():
        response = client.get(page.url)
        assert response.status_code == 200, page.url


def test_loading_the_demo_raises_no_false_alert(db, capsys, mailoutbox):
    """The demo writes its threads' history in a second: that is no surge of comments."""
    from participation.models import ModerationAlert

    load(capsys)
    assert not ModerationAlert.objects.exists()
    assert not [m for m in mailoutbox if "Afflux" in m.subject + m.body]


def test_published_results_of_the_demo_give_the_true_figures(client, db, capsys):
    """The médiathèque poll has 320 ballots: the results' figures say so, not 0."""
    import re

    from participation.services import community

    load(capsys)
    team = User.objects.get(email="communication@demo.tribune.test")
    library = ConsultationPage.objects.get(slug="horaires-mediatheque")
    community.save_results(
        user=team, consultation=library, summary="Plus d’horaires.", decisions="Le dimanche."
    )
    community.publish_results(user=team, consultation=library)
    html = client.get(library.url).content.decode()
    figures = {
        label.strip(): int(number)
        for number, label in re.findall(r"<li><strong>(\d+)</strong>([^<]+)</li>", html)
    }
    assert figures["participants"] == 320
    assert figures["bulletins"] == 320
    assert figures["visites"] > 0
