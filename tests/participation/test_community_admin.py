"""The Participation dashboard, exports, results form and editorial calendar in the
Wagtail admin: who sees what, bad filters, exports that round-trip."""

import csv
import io
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from participation.models import ConsultationResults, PageVisits
from participation.services import comments as comment_services
from participation.services import community as services
from participation.services import exports
from tests import factories

DASHBOARD = "/admin/participation/"


@pytest.fixture
def figures(users, consultation):
    comment_services.post_comment(
        author=users["citizen"], consultation=consultation, body='=HYPERLINK("http://x")'
    )
    comment_services.post_comment(
        author=users["citizen"], consultation=consultation, body="Plus de pistes, svp."
    )
    PageVisits.objects.create(page_id=consultation.pk, day=timezone.localdate(), count=7)
    services.rollup(consultation)
    return consultation


# --- Permission matrix -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status", "sees_visits", "sees_moderation"),
    [
        ("communication", 200, True, True),
        ("administrator", 200, True, True),
        ("moderator", 200, False, True),
    ],
)
def test_who_sees_which_figures(client, users, figures, role, status, sees_visits, sees_moderation):
    client.force_login(users[role])
    response = client.get(f"{DASHBOARD}?consultation={figures.pk}")
    assert response.status_code == status
    html = response.content.decode()
    assert ("taux d’engagement" in html) is sees_visits
    assert ("Chiffres de modération" in html) is sees_moderation


@pytest.mark.parametrize(
    ("role", "refused"), [("citizen", 403), ("agent", 403), ("anonymous", 302)]
)
def test_citizens_and_agents_see_no_figures(client, users, figures, role, refused):
    if role != "anonymous":
        client.force_login(users[role])
    response = client.get(DASHBOARD)
    # Outside the admin: refused when signed in, sent to the sign-in page otherwise, never
    # shown a figure.
    assert response.status_code == refused
    if refused == 302:
        assert response["Location"].startswith("/compte/connexion/")
    assert "taux d’engagement" not in response.content.decode()


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("anonymous", False),
        ("citizen", False),
        ("agent", False),
        ("moderator", False),
        ("communication", True),
        ("administrator", True),
    ],
)
def test_figure_permissions_matrix(users, consultation, role, allowed):
    from participation import permissions

    user = users[role]
    assert permissions.can(user, permissions.SEE_FIGURES, consultation) is allowed
    assert permissions.can(user, permissions.EXPORT_CONTRIBUTIONS, consultation) is allowed
    assert permissions.can(user, permissions.PUBLISH_RESULTS, consultation) is allowed
    assert permissions.can(user, permissions.SEE_MODERATION_FIGURES, consultation) is (
        allowed or role == "moderator"
    )


# --- Filters -----------------------------------------------------------------------------


def test_dashboard_filters_by_period_and_groups_by_week(client, users, figures):
    client.force_login(users["communication"])
    today = timezone.localdate()
    response = client.get(
        DASHBOARD,
        {
            "consultation": figures.pk,
            "start": (today - timedelta(days=13)).isoformat(),
            "end": today.isoformat(),
            "granularity": "week",
        },
    )
    assert response.status_code == 200
    result = response.context["figures"]
    assert result.totals["visits"] == 7 and result.totals["comments"] == 2
    assert result.granularity == "week"
    assert "Chiffres par semaine" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-02-31"}, "Saisissez une date qui existe"),
        ({"start": "2026-11-20", "end": "2026-11-01"}, "La fin de la période doit venir après"),
        ({"start": "2020-01-01", "end": "2026-11-01"}, "deux ans au plus"),
        ({"consultation": "999999"}, "Consultation inconnue"),
        ({"consultation": "abc"}, "Consultation inconnue"),
    ],
)
def test_impossible_filters_get_a_clear_message(client, users, figures, params, message):
    client.force_login(users["communication"])
    response = client.get(DASHBOARD, params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["figures"] is None


# --- Exports -----------------------------------------------------------------------------


def export_url(consultation, kind, fmt):
    return f"/admin/participation/{consultation.pk}/export/{kind}.{fmt}"


def test_csv_export_neutralises_formulas_and_shows_pseudonyms_only(client, users, figures):
    client.force_login(users["communication"])
    response = client.get(export_url(figures, "comments", "csv"))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    header, first, second = rows
    assert header[:4] == ["Numéro", "Réponse à", "Niveau", "Auteur (pseudonyme)"]
    assert first[header.index("Texte")] == '\'=HYPERLINK("http://x")'
    author = first[header.index("Auteur (pseudonyme)")]
    assert author.startswith("P-") and author == second[header.index("Auteur (pseudonyme)")]
    text = response.content.decode("utf-8-sig")
    assert users["citizen"].email not in text and users["citizen"].display_name not in text


def test_xlsx_export_round_trips_to_the_same_rows_as_csv(client, users, figures):
    client.force_login(users["administrator"])
    csv_rows = list(
        csv.reader(
            io.StringIO(
                client.get(export_url(figures, "comments", "csv")).content.decode("utf-8-sig")
            ),
            delimiter=";",
        )
    )
    response = client.get(export_url(figures, "comments", "xlsx"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    xlsx_rows = [
        [
            v.strftime("%d/%m/%Y %H:%M") if isinstance(v, datetime) else "" if v is None else str(v)
            for v in row
        ]
        for row in sheet.iter_rows(values_only=True)
    ]
    assert xlsx_rows == csv_rows
    assert sheet.cell(row=2, column=8).data_type == "s"  # text, never a formula


@pytest.mark.parametrize("kind", ["ballots", "answers", "figures"])
def test_other_exports_download(client, users, figures, kind):
    factories.poll(figures)
    client.force_login(users["communication"])
    response = client.get(export_url(figures, kind, "csv"))
    assert response.status_code == 200
    assert response.content.decode("utf-8-sig").splitlines()[0]


def test_export_refused_to_those_who_may_not_see_it(client, users, figures):
    client.force_login(users["moderator"])
    response = client.get(export_url(figures, "comments", "csv"))
    assert response.status_code == 403
    client.force_login(users["communication"])
    assert client.get("/admin/participation/999999/export/comments.csv").status_code == 404
    assert client.get(export_url(figures, "passwords", "csv")).status_code == 404


def test_neutralise_cells():
    assert exports.neutralise(["=1+1", "+33", "-2", "@SUM", "texte", 12, None]) == [
        "'=1+1",
        "'+33",
        "'-2",
        "'@SUM",
        "texte",
        12,
        None,
    ]


# --- Results, calendar, home panel ------------------------------------------------------------


def test_team_writes_then_publishes_results_from_the_admin(client, users, consultation_index):
    closed = factories.consultation(
        consultation_index, title="Médiathèque", opens_in=-30, closes_in=-1
    )
    client.force_login(users["communication"])
    url = f"/admin/participation/{closed.pk}/resultats/"
    assert client.get(url).status_code == 200
    refused = client.post(url, {"summary": "", "decisions": "Ouvrir le dimanche."})
    assert refused.status_code == 400
    assert not ConsultationResults.objects.exists()
    response = client.post(
        url, {"summary": "Plus d’horaires.", "decisions": "Ouvrir le dimanche.", "publish": "1"}
    )
    assert response.status_code == 302
    assert ConsultationResults.objects.get().is_published


def test_moderators_cannot_publish_results(client, users, consultation):
    client.force_login(users["moderator"])
    assert client.get(f"/admin/participation/{consultation.pk}/resultats/").status_code == 403


def test_editorial_calendar_shows_openings_and_closings(client, users, consultation_index):
    factories.consultation(
        consultation_index, title="Budget participatif", opens_in=2, closes_in=20
    )
    client.force_login(users["communication"])
    response = client.get("/admin/participation/calendrier/")
    assert response.status_code == 200
    html = response.content.decode()
    month_has_opening = (
        timezone.localdate() + timedelta(days=2)
    ).month == timezone.localdate().month
    if month_has_opening:
        assert "Ouverture : Budget participatif" in html
    bad = client.get("/admin/participation/calendrier/?mois=2026-13")
    assert bad.status_code == 200 and "Mois inconnu" in bad.content.decode()
    client.force_login(users["moderator"])
    assert client.get("/admin/participation/calendrier/").status_code == 403


def test_admin_home_shows_the_summary_panel_to_the_team(client, users, figures):
    client.force_login(users["communication"])
    html = client.get("/admin/").content.decode()
    assert "Participation des 7 derniers jours" in html
    client.force_login(users["moderator"])
    assert "Participation des 7 derniers jours" not in client.get("/admin/").content.decode()


def test_team_sets_objectives_and_bad_numbers_are_refused(client, users, consultation):
    from participation.models import Objective

    client.force_login(users["communication"])
    url = f"/admin/participation/{consultation.pk}/objectifs/"
    assert client.get(url).status_code == 200
    refused = client.post(url, {"participants": "cinq cents", "answered_percent": "130"})
    assert refused.status_code == 400
    assert "Saisissez un nombre" in refused.content.decode()
    assert not Objective.objects.exists()
    assert client.post(url, {"participants": "500", "answered_percent": "30"}).status_code == 302
    assert dict(Objective.objects.values_list("metric", "target")) == {
        "participants": 500,
        "answered_percent": 30,
    }
    client.force_login(users["moderator"])
    assert client.post(url, {"participants": "1"}).status_code == 403


def test_decisions_typed_as_paragraphs_stay_separate_decisions(client, users, consultation_index):
    """A browser sends a textarea's blank line as CRLF CRLF: still two decisions."""
    closed = factories.consultation(
        consultation_index, title="Médiathèque", opens_in=-30, closes_in=-1
    )
    client.force_login(users["communication"])
    decisions = "Ouvrir le dimanche.\r\n\r\nUn créneau le soir.\r\n  \r\nDes bancs."
    response = client.post(
        f"/admin/participation/{closed.pk}/resultats/",
        {"summary": "Plus d’horaires.", "decisions": decisions, "publish": "1"},
    )
    assert response.status_code == 302
    assert "\r" not in ConsultationResults.objects.get().decisions
    html = client.get(closed.url).content.decode()
    section = html[html.index('class="results__decisions"') :]
    section = section[: section.index("</ul>")]
    assert section.count("<li>") == 3
    assert "<li>Un créneau le soir.</li>" in section


def test_dashboard_shows_todays_contributions_without_running_the_rollup(
    client, users, consultation
):
    client.force_login(users["communication"])
    url = f"{DASHBOARD}?consultation={consultation.pk}"
    assert client.get(url).context["figures"].totals["comments"] == 0
    comment_services.post_comment(
        author=users["citizen"], consultation=consultation, body="Plus de pistes, svp."
    )
    # Within the refresh interval the figures stay as they were (one roll-up a minute)…
    assert client.get(url).context["figures"].totals["comments"] == 0
    # The minute passes: the throttle's key expires (in the cache's own clock, which
    # may be Redis', so it is removed here rather than by travelling in time)…
    from django.core.cache import cache

    cache.delete(f"{services.REFRESH_KEY}:{consultation.pk}")
    response = client.get(url)  # …and the next look counts the new comment.
    assert response.context["figures"].totals["comments"] == 1
    assert response.context["figures"].totals["participants"] == 1


def test_exports_open_right_in_french_spreadsheets(client, users, figures):
    """Semicolons and a BOM for French Excel, French headers and values, dates as
    dates (« 03/12/2026 14:05 » in CSV, date cells in XLSX)."""
    client.force_login(users["communication"])
    raw = client.get(export_url(figures, "comments", "csv")).content
    assert raw.startswith("\ufeff".encode())
    header, first, _second = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    row = dict(zip(header, first, strict=True))
    assert row["État"] == "Publié" and row["Réponse officielle"] == "non"
    posted = datetime.strptime(row["Publié le"], "%d/%m/%Y %H:%M")
    assert posted.date() == timezone.localdate()
    sheet = load_workbook(
        io.BytesIO(client.get(export_url(figures, "comments", "xlsx")).content)
    ).active
    cell = sheet.cell(row=2, column=len(header))
    assert cell.is_date and isinstance(cell.value, datetime)
    assert sheet.cell(row=1, column=len(header)).value == "Publié le"


def test_the_figures_export_covers_the_chosen_period(client, users, figures):
    today = timezone.localdate()
    PageVisits.objects.create(page_id=figures.pk, day=today - timedelta(days=40), count=5)
    client.force_login(users["communication"])
    start, end = today - timedelta(days=6), today
    dashboard = client.get(
        DASHBOARD, {"consultation": figures.pk, "start": start.isoformat(), "end": end.isoformat()}
    ).content.decode()
    link = f"figures.xlsx?start={start.isoformat()}&amp;end={end.isoformat()}"
    assert link in dashboard
    response = client.get(
        export_url(figures, "figures", "xlsx"), {"start": start.isoformat(), "end": end.isoformat()}
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("Jour", "Visites")
    days = [row[0].date() for row in rows[1:]]
    assert days == [start + timedelta(days=n) for n in range(7)]  # every day, no more
    assert sum(row[1] for row in rows[1:]) == 7  # today's 7 visits, not the 5 of day -40
    assert sheet.cell(row=2, column=1).is_date
    csv_text = client.get(
        export_url(figures, "figures", "csv"), {"start": start.isoformat(), "end": end.isoformat()}
    ).content.decode("utf-8-sig")
    assert csv_text.splitlines()[1].startswith(start.strftime("%d/%m/%Y") + ";")
    bad = client.get(export_url(figures, "figures", "csv"), {"start": "2026-02-31"})
    assert bad.status_code == 302  # back to the dashboard with the form's French message
