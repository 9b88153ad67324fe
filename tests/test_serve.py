"""`make run` (manage.py serve): one process that prepares only what is missing, and a
port that reaches every printed and e-mailed link."""

import pytest
from django.core.management import call_command
from wagtail.models import Site

from participation.services import moderation
from tests import factories


@pytest.fixture(autouse=True)
def _own_var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path  # serve keeps a marker there: never in the real var/


def test_serve_points_the_local_site_at_the_port_and_prints_it(
    db, site_tree, users, capsys, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.PRODUCTION_LIKE = False  # a local run; production sites are left alone
    call_command("serve", no_serve=True, host="127.0.0.1", port=8123)
    out = capsys.readouterr().out
    assert "Index de recherche à reconstruire" in out  # once…
    call_command("serve", no_serve=True, host="127.0.0.1", port=8123)
    assert "Index de recherche" not in capsys.readouterr().out  # …then never again
    assert "migration(s) à appliquer" not in out  # nothing waiting: nothing run
    assert "Administration Wagtail : http://127.0.0.1:8123/admin/" in out
    assert "Tribune : http://127.0.0.1:8123/" in out
    assert ":8000" not in out
    site = Site.objects.get(is_default_site=True)
    assert site.root_url == "http://127.0.0.1:8123"

    # A moderation e-mail links to where the site is served, not to a fixed :8000.
    from participation.models import CommentModeration
    from participation.services import comments

    consultation = factories.consultation(
        site_tree["index"], title="Budget", comment_moderation=CommentModeration.A_PRIORI
    )
    comment = comments.post_comment(
        author=users["citizen"], consultation=consultation, body="Un avis."
    )
    with django_capture_on_commit_callbacks(execute=True):
        moderation.reject(moderator=users["moderator"], comment=comment, reason="off_topic")
    (message,) = [m for m in mailoutbox if users["citizen"].email in m.to]
    assert "http://127.0.0.1:8123/participation/moderation/mes-decisions/" in message.body


@pytest.mark.parametrize("hostname", ["participer.ville-demo.fr"])
def test_serve_leaves_a_real_site_address_alone(db, site_tree, capsys, hostname):
    Site.objects.filter(is_default_site=True).update(hostname=hostname, port=443)
    call_command("serve", no_serve=True, host="127.0.0.1", port=8123)
    assert Site.objects.get(is_default_site=True).root_url == f"https://{hostname}"
