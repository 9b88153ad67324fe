"""What a fresh install needs: the two cookie groups and a first version of the terms
and of the privacy policy. Called by migration 0002 (with the migration's app
registry) and by load_demo and tests (a flushed test database loses what migrations
wrote). Creates only what is missing; never changes an existing row.

The texts are the institution's to adapt: administrators publish new versions from
the admin (Paramètres → Textes légaux).
"""

import contextlib

from django.utils import timezone

NECESSARY = "necessaires"
AUDIENCE = "audience"

COOKIE_GROUPS = [
    {
        "varname": NECESSARY,
        "name": "Nécessaires",
        "description": (
            "Indispensables au fonctionnement du site : ils ne demandent pas votre "
            "consentement et ne servent à rien d'autre."
        ),
        "is_required": True,
        "is_deletable": False,
        "ordering": 0,
        "cookies": [
            ("sessionid", "Garde votre session ouverte quand vous êtes connecté·e (14 jours)."),
            ("csrftoken", "Protège les formulaires contre les envois frauduleux (1 an)."),
            ("django_language", "Retient la langue choisie avec le bouton « English » (1 an)."),
            ("cookie_consent", "Retient vos choix sur les cookies (6 mois)."),
        ],
    },
    {
        "varname": AUDIENCE,
        "name": "Mesure d'audience",
        "description": (
            "Un cookie propre au site, déposé seulement avec votre accord : il contient "
            "uniquement la date de votre dernière visite, pour compter les visiteurs qui "
            "reviennent. Aucun identifiant, aucun outil tiers."
        ),
        "is_required": False,
        "is_deletable": True,
        "ordering": 10,
        "cookies": [
            (
                "tribune_visite",
                "Date de votre dernière visite, pour distinguer première visite et retour "
                "dans des totaux par jour (13 mois au plus).",
            ),
        ],
    },
]

TERMS_V1 = """
<h2>Objet</h2>
<p>Ces conditions encadrent l'utilisation de la plateforme de participation de
l'institution : lire les consultations, commenter, soutenir, voter et signaler.</p>
<h2>Compte</h2>
<p>Il faut avoir 15 ans ou plus pour créer un compte seul·e. Votre nom public est un
pseudonyme si vous le souhaitez ; votre adresse e-mail n'est jamais publiée.</p>
<h2>Contributions</h2>
<p>Vos contributions sont publiques et respectent la charte de modération. Elles font
partie du dossier de la consultation : si vous supprimez votre compte, vous choisissez
de les garder anonymisées (« Participant·e supprimé·e ») ou de les effacer.</p>
<h2>Évolution des conditions</h2>
<p>Quand ces conditions changent, la nouvelle version vous est présentée et vous
l'acceptez avant de participer à nouveau.</p>
"""

PRIVACY_V1 = """
<h2>Responsable du traitement</h2>
<p>L'institution qui publie ce site traite vos données pour mener ses consultations
publiques, dans le cadre de sa mission d'intérêt public (article 6-1-e du RGPD), et,
pour ce que vous pouvez librement refuser (cookie de mesure d'audience, e-mails de
suivi), sur la base de votre consentement.</p>
<h2>Vos droits</h2>
<p>Depuis « Mes données », vous consultez ce que nous détenons, corrigez votre nom
public et votre adresse e-mail, téléchargez toutes vos données et supprimez votre
compte. Vous pouvez aussi écrire au délégué ou à la déléguée à la protection des
données de l'institution, et saisir la CNIL.</p>
"""

DOCUMENTS = [
    ("terms", 1, "Conditions d'utilisation", TERMS_V1),
    ("privacy", 1, "Politique de confidentialité", PRIVACY_V1),
]


def create_cookie_groups(apps=None):
    if apps is None:
        from django.apps import apps
    CookieGroup = apps.get_model("cookie_consent", "CookieGroup")
    Cookie = apps.get_model("cookie_consent", "Cookie")
    for spec in COOKIE_GROUPS:
        fields = {key: value for key, value in spec.items() if key not in ("varname", "cookies")}
        group, _created = CookieGroup.objects.get_or_create(
            varname=spec["varname"], defaults=fields
        )
        for name, description in spec["cookies"]:
            Cookie.objects.get_or_create(
                cookiegroup=group, name=name, domain="", defaults={"description": description}
            )
    _clear_library_cache()


def _clear_library_cache():
    from cookie_consent.cache import delete_cache

    # No cache configured while migrating is fine: there is nothing stale to clear.
    with contextlib.suppress(Exception):
        delete_cache()


def create_legal_documents(apps=None):
    if apps is None:
        from django.apps import apps
    LegalDocument = apps.get_model("consent", "LegalDocument")
    for kind, version, title, body in DOCUMENTS:
        if not LegalDocument.objects.filter(kind=kind).exists():
            LegalDocument.objects.create(
                kind=kind,
                version=version,
                title=title,
                body=body.strip(),
                published_at=timezone.now(),
            )


def ensure_defaults():
    create_cookie_groups()
    create_legal_documents()
