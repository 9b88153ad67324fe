"""The demo site: "Ville de Démo", a fictional commune, in French.

Idempotent: every object is looked up by a stable key (slug, e-mail) and created only
when missing, so running it twice changes nothing and never overwrites edits.
"""

import io
import random
from dataclasses import dataclass
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core.files.images import ImageFile
from django.db import transaction
from django.utils import timezone
from wagtail.images import get_image_model
from wagtail.models import Page, Site

from accounts import roles
from accounts.models import User
from cms.models import (
    AccessibilityStatus,
    BrandingSettings,
    ConsultationIndexPage,
    HomePage,
    NavigationSettings,
    NewsIndexPage,
    NewsPage,
    StandardPage,
)
from cms.permissions import grant_editorial_permissions
from consent.models import LegalDocumentKind
from consent.services import records
from consent.services.defaults import ensure_defaults
from participation.models import (
    Choice,
    ConsultationPage,
    Poll,
    Question,
    QuestionKind,
    ResultsVisibility,
)
from participation.permissions import grant_poll_admin_permissions
from participation.services import polls as poll_services

# Demo only: these passwords are published in the README.
DEMO_PASSWORD = "demo-tribune-2026"  # noqa: S105 - published on purpose


@dataclass(frozen=True)
class DemoAccount:
    email: str
    display_name: str
    role: str
    superuser: bool = False


ACCOUNTS = [
    DemoAccount("citoyenne@demo.tribune.test", "Camille des Tilleuls", roles.CITIZENS),
    DemoAccount("citoyen@demo.tribune.test", "Karim du Port", roles.CITIZENS),
    DemoAccount("agent@demo.tribune.test", "Service mobilité", roles.AGENTS),
    DemoAccount("moderation@demo.tribune.test", "Équipe modération", roles.MODERATORS),
    DemoAccount("communication@demo.tribune.test", "Service communication", roles.COMMUNICATION),
    DemoAccount("admin@demo.tribune.test", "Administration", roles.ADMINISTRATORS, superuser=True),
]


def paragraph(html: str) -> dict:
    return {"type": "paragraph", "value": html}


def heading(text: str, level: str = "h2") -> dict:
    return {"type": "heading", "value": {"text": text, "level": level}}


def faq(*pairs) -> dict:
    return {
        "type": "faq",
        "value": {
            "title": "Questions fréquentes",
            "questions": [{"question": q, "answer": f"<p>{a}</p>"} for q, a in pairs],
        },
    }


def key_figures(*pairs) -> dict:
    return {
        "type": "key_figures",
        "value": {"figures": [{"figure": f, "caption": c} for f, c in pairs]},
    }


CONSULTATIONS = [
    {
        "slug": "plan-velo-2027",
        "title": "Plan vélo 2027 : où voulez-vous de nouvelles pistes cyclables ?",
        "summary": (
            "La ville prévoit 12 km d'aménagements cyclables d'ici 2027. Dites-nous quels "
            "trajets vous faites, où vous vous sentez en danger et ce qui vous ferait "
            "prendre le vélo plus souvent."
        ),
        "themes": ["Mobilité", "Environnement"],
        "opens": -20,
        "closes": 40,
        "colour": (31, 78, 121),
        "body": [
            heading("Pourquoi cette consultation ?"),
            paragraph(
                "<p>Un tiers des déplacements de moins de 3 km se font encore en voiture "
                "à Démo. Le conseil municipal a voté en juin un budget de 4,2 millions "
                "d'euros pour un réseau cyclable continu entre les quartiers, les écoles "
                "et la gare.</p><p>Avant de dessiner les tracés, nous voulons connaître "
                "vos trajets réels, les carrefours qui vous font peur et les "
                "stationnements qui manquent.</p>"
            ),
            key_figures(
                ("12 km", "de pistes prévues d'ici 2027"),
                ("450", "places de stationnement vélo"),
                ("4,2 M€", "de budget voté"),
            ),
            heading("Ce qui est déjà décidé"),
            paragraph(
                "<ul><li>La liaison gare – lycée Jean-Moulin sera la première réalisée.</li>"
                "<li>Les pistes seront séparées de la circulation automobile sur les axes à "
                "50 km/h.</li></ul>"
            ),
            faq(
                (
                    "Qui peut participer ?",
                    "Toute personne qui vit, travaille ou étudie à Démo, à partir de 15 ans.",
                ),
                (
                    "Que deviennent les contributions ?",
                    "Elles sont analysées par le service mobilité et présentées au conseil "
                    "municipal de mars, qui votera les tracés.",
                ),
            ),
        ],
        "objectives": (
            "<p>Les contributions serviront à choisir l'ordre des tracés et l'emplacement "
            "des stationnements. Le conseil municipal décidera en mars 2027 ; une "
            "synthèse sera publiée sur cette page.</p>"
        ),
    },
    {
        "slug": "budget-participatif-tilleuls",
        "title": "Budget participatif : vos idées pour le quartier des Tilleuls",
        "summary": (
            "150 000 € sont réservés à des projets proposés par les habitantes et habitants "
            "des Tilleuls. Proposez, commentez et soutenez les idées qui amélioreront la "
            "vie du quartier."
        ),
        "themes": ["Budget participatif", "Vie de quartier"],
        "opens": -5,
        "closes": 25,
        "colour": (30, 107, 52),
        "body": [
            heading("Comment ça marche ?"),
            paragraph(
                "<p>Jusqu'à la clôture, chacun peut proposer une idée en commentaire. Les "
                "services de la ville vérifient ensuite la faisabilité technique et le "
                "coût de chaque proposition, puis les projets retenus sont soumis au vote "
                "au printemps.</p>"
            ),
            paragraph(
                "<p>Un projet doit relever des compétences de la commune, servir "
                "l'intérêt général et coûter moins de 50 000 €.</p>"
            ),
        ],
        "objectives": (
            "<p>Les idées les plus soutenues seront étudiées en priorité. Chaque proposition "
            "écartée recevra une réponse motivée.</p>"
        ),
    },
    {
        "slug": "boite-a-idees",
        "title": "Boîte à idées permanente",
        "summary": (
            "Une idée pour la ville, une remarque sur un service public ? Cette "
            "consultation reste ouverte toute l'année."
        ),
        "themes": ["Vie de quartier"],
        "opens": -200,
        "closes": None,
        "colour": (92, 68, 0),
        "body": [
            paragraph(
                "<p>Les services municipaux lisent chaque contribution et répondent "
                "officiellement aux questions qui les concernent, en général sous "
                "quinze jours.</p>"
            )
        ],
        "objectives": "",
    },
    {
        "slug": "place-du-marche",
        "title": "Réaménagement de la place du Marché",
        "summary": (
            "Plus d'arbres, moins de voitures, un marché couvert ? La place du Marché sera "
            "réaménagée en 2028 : la concertation s'ouvre dans deux semaines."
        ),
        "themes": ["Urbanisme", "Environnement"],
        "opens": 14,
        "closes": 74,
        "colour": (107, 45, 92),
        "body": [
            heading("Le projet"),
            paragraph(
                "<p>La place du Marché accueille 40 places de stationnement et le marché du "
                "samedi. Trois scénarios d'aménagement seront présentés à l'ouverture de "
                "la concertation, avec leurs coûts et leurs calendriers.</p>"
            ),
        ],
        "objectives": (
            "<p>Le scénario retenu tiendra compte des avis exprimés ; une réunion publique "
            "présentera la synthèse.</p>"
        ),
    },
    {
        "slug": "horaires-mediatheque",
        "title": "Nouveaux horaires de la médiathèque",
        "summary": (
            "Faut-il ouvrir la médiathèque le dimanche ou plus tard en semaine ? Merci aux "
            "1 240 personnes qui ont participé : la synthèse sera publiée prochainement."
        ),
        "themes": ["Culture"],
        "opens": -120,
        "closes": -30,
        "colour": (74, 74, 74),
        "body": [
            paragraph(
                "<p>La consultation a porté sur trois propositions d'horaires. Les "
                "nouveaux horaires entreront en vigueur en janvier.</p>"
            )
        ],
        "objectives": "<p>Les résultats guideront les horaires appliqués dès janvier.</p>",
    },
]

LEGAL_PAGES = {
    "mentions-legales": (
        "Mentions légales",
        "Qui publie ce site, qui l'héberge et comment nous contacter.",
        [
            heading("Éditeur"),
            paragraph(
                "<p>Ville de Démo, 1 place de la Mairie, 99999 Démo. Directrice de la "
                "publication : la maire de Démo.</p>"
            ),
            heading("Hébergement"),
            paragraph(
                "<p>Le site est hébergé en France par le prestataire retenu par la ville, "
                "dont l'identité est tenue à disposition sur demande.</p>"
            ),
        ],
    ),
    # The RGAA model statement (DINUM): date, rate, non-accessible content, exemptions,
    # technologies, test environment, contact, recourse, multi-year plan. Without an
    # audit the status can only be « non conforme ».
    "accessibilite": (
        "Déclaration d'accessibilité",
        "Accessibilité : non conforme. Déclaration établie selon le modèle du RGAA 4.1.",
        [
            paragraph(
                "<p>La Ville de Démo s'engage à rendre ses sites internet accessibles "
                "conformément à l'article 47 de la loi n° 2005-102 du 11 février 2005. "
                "Cette déclaration d'accessibilité s'applique au site « Démo participe ».</p>"
            ),
            heading("État de conformité"),
            paragraph(
                "<p>« Démo participe » est <strong>non conforme</strong> avec le référentiel "
                "général d'amélioration de l'accessibilité (RGAA), version 4.1 : le site n'a "
                "encore fait l'objet d'aucun audit de conformité.</p>"
            ),
            heading("Résultats des tests"),
            paragraph(
                "<p>Aucun audit n'a encore été réalisé : le taux de critères RGAA respectés "
                "n'est pas connu. Un audit complet par un prestataire externe est prévu ; "
                "ses résultats seront publiés sur cette page.</p>"
            ),
            heading("Contenus non accessibles"),
            heading("Non-conformités connues", "h3"),
            paragraph(
                "<ul><li>Les documents joints aux consultations (PDF, tableurs) n'ont pas "
                "tous été vérifiés.</li><li>L'interface d'administration n'a été vérifiée "
                "qu'avec des outils automatiques.</li></ul>"
            ),
            heading("Dérogations pour charge disproportionnée", "h3"),
            paragraph("<p>Aucune.</p>"),
            heading("Contenus non soumis à l'obligation d'accessibilité", "h3"),
            paragraph(
                "<p>Les documents bureautiques publiés avant le 23 septembre 2018 et les "
                "contenus de tiers que la ville ne maîtrise pas.</p>"
            ),
            heading("Établissement de cette déclaration"),
            paragraph(
                "<p>Cette déclaration a été établie à la mise en ligne du site, sans audit "
                "(voir la date de mise à jour de la page).</p>"
            ),
            heading("Technologies utilisées pour la réalisation du site", "h3"),
            paragraph(
                "<ul><li>HTML5</li><li>CSS</li><li>JavaScript</li><li>WAI-ARIA</li><li>SVG</li></ul>"
            ),
            heading("Environnement de test", "h3"),
            paragraph(
                "<p>Vérifications automatiques à chaque version : Chromium (Debian) avec "
                "axe-core, aux largeurs de 1280 et 320 pixels, et parcours au clavier. Les "
                "combinaisons navigateur et lecteur d'écran de l'audit seront indiquées "
                "ici.</p>"
            ),
            heading("Pages du site ayant fait l'objet de la vérification", "h3"),
            paragraph(
                "<ul><li>Accueil</li><li>Liste des consultations</li><li>Page d'une "
                "consultation (commentaires, sondage)</li><li>Création de compte et "
                "connexion</li><li>Mes données</li><li>Déclaration d'accessibilité</li></ul>"
            ),
            heading("Retour d'information et contact"),
            paragraph(
                "<p>Si vous n'arrivez pas à accéder à un contenu ou à un service, écrivez à "
                '<a href="mailto:participation@demo.tribune.test">'
                "participation@demo.tribune.test</a> ou à Ville de Démo, 1 place de la "
                "Mairie, 99999 Démo : nous vous répondrons et vous proposerons une "
                "alternative accessible.</p>"
            ),
            heading("Voies de recours"),
            paragraph(
                "<p>Si vous avez signalé un défaut d'accessibilité qui vous empêche "
                "d'accéder à un contenu ou à un service et n'avez pas obtenu de réponse "
                "satisfaisante, vous pouvez :</p><ul><li>écrire un message au Défenseur des "
                "droits (formulaire en ligne sur defenseurdesdroits.fr) ;</li><li>contacter "
                "le délégué du Défenseur des droits dans votre région ;</li><li>envoyer un "
                "courrier par la poste (gratuit, ne pas mettre de timbre) : Défenseur des "
                "droits, Libre réponse 71120, 75342 Paris CEDEX 07.</li></ul>"
            ),
            heading("Schéma pluriannuel de mise en accessibilité"),
            paragraph(
                "<p>Le schéma pluriannuel 2026-2028 de la Ville de Démo prévoit : en 2026, "
                "l'audit de ce site et la correction de ses non-conformités ; en 2027, la "
                "vérification des documents publiés ; en 2028, un nouvel audit. Chaque "
                "année, un plan d'action est publié avec le bilan de l'année passée.</p>"
            ),
        ],
    ),
    "charte-de-moderation": (
        "Charte de modération",
        "Les règles qui permettent un débat respectueux, et comment elles sont appliquées.",
        [
            heading("Ce qui n'a pas sa place ici"),
            paragraph(
                "<ul><li>Les insultes, le harcèlement et les propos discriminatoires.</li>"
                "<li>Les données personnelles d'autrui (adresse, téléphone…).</li>"
                "<li>La publicité et les messages hors sujet répétés.</li>"
                "<li>Les fausses informations manifestes.</li></ul>"
            ),
            heading("Comment nous modérons"),
            paragraph(
                "<p>Une équipe de la ville lit les contributions signalées. Quand une "
                "contribution est retirée, son auteur ou son autrice en reçoit la raison "
                "et peut contester la décision une fois.</p>"
            ),
        ],
    ),
}

NEWS = [
    (
        "lancement-plan-velo",
        "Lancement de la concertation sur le plan vélo",
        -20,
        "La concertation sur les futurs aménagements cyclables est ouverte jusqu'au "
        "printemps. Une réunion publique aura lieu à la salle des fêtes.",
    ),
    (
        "bilan-mediatheque",
        "Médiathèque : 1 240 participations",
        -28,
        "La consultation sur les horaires de la médiathèque s'est terminée avec 1 240 "
        "participations. La synthèse sera publiée avant la fin de l'année.",
    ),
]


# Polls: (consultation slug, poll fields, questions, number of demo ballots, weights per
# choice question, sample free-text answers). Ballots come from fictitious residents
# without a password, so the charts mean something from the first visit.
POLLS = [
    {
        "consultation": "plan-velo-2027",
        "title": "Vos trajets à vélo",
        "intro": (
            "Trois questions pour mieux connaître vos habitudes. Vous pourrez modifier "
            "votre vote jusqu'à la clôture de la consultation."
        ),
        "results_visibility": ResultsVisibility.AFTER_VOTING,
        "allow_change": True,
        "questions": [
            (
                "À quelle fréquence vous déplacez-vous à vélo dans Démo ?",
                QuestionKind.SINGLE,
                None,
                [
                    "Tous les jours ou presque",
                    "Une ou plusieurs fois par semaine",
                    "Quelques fois par mois",
                    "Rarement ou jamais",
                ],
            ),
            (
                "Qu'est-ce qui vous ferait prendre le vélo plus souvent ?",
                QuestionKind.MULTIPLE,
                3,
                [
                    "Des pistes séparées des voitures",
                    "Des carrefours sécurisés",
                    "Du stationnement vélo sécurisé",
                    "Des itinéraires jalonnés vers la gare et les écoles",
                    "Une aide à l'achat d'un vélo à assistance électrique",
                    "Un atelier de réparation participatif",
                ],
            ),
            (
                "Un carrefour ou une rue où vous ne vous sentez pas en sécurité à vélo ? "
                "Dites-nous où et pourquoi.",
                QuestionKind.TEXT,
                None,
                [],
            ),
        ],
        "ballots": 64,
        "weights": [[5, 8, 4, 6], [9, 7, 6, 4, 3, 2]],
        "texts": [
            "Le rond-point de la gare : les voitures ne laissent aucune place aux vélos.",
            "Rue des Écoles le matin, avec les voitures garées en double file.",
            "Le pont sur le canal est trop étroit, on roule sur le trottoir.",
            "Avenue Jean-Jaurès : pas de piste et des camions de livraison.",
        ],
    },
    {
        "consultation": "horaires-mediatheque",
        "title": "Les horaires de votre médiathèque",
        "intro": "Le vote est clos : merci à toutes celles et ceux qui ont participé.",
        "results_visibility": ResultsVisibility.AFTER_CLOSING,
        "allow_change": False,
        "questions": [
            (
                "Quelle proposition d'horaires préférez-vous ?",
                QuestionKind.SINGLE,
                None,
                [
                    "A — ouverture le dimanche de 10 h à 13 h",
                    "B — ouverture jusqu'à 20 h le mardi et le jeudi",
                    "C — ouverture dès 9 h le samedi",
                ],
            ),
            (
                "Quels services de la médiathèque utilisez-vous le plus ?",
                QuestionKind.MULTIPLE,
                2,
                [
                    "Le prêt de livres",
                    "La presse et les magazines",
                    "La salle de travail",
                    "Les ateliers et animations",
                    "L'espace jeux vidéo",
                ],
            ),
        ],
        "ballots": 320,
        "weights": [[11, 7, 4], [10, 4, 6, 5, 2]],
        "texts": [],
    },
]
DEMO_VOTER_EMAIL = "habitant-{:03d}@demo.tribune.test"
CAMILLE = "citoyenne@demo.tribune.test"
KARIM = "citoyen@demo.tribune.test"
AGENT = "agent@demo.tribune.test"
COMMUNICATION = "communication@demo.tribune.test"
VOICES = [
    ("lea.martin@demo.tribune.test", "Léa du Canal"),
    ("yves.b@demo.tribune.test", "Yves, commerçant"),
    ("nadia.k@demo.tribune.test", "Nadia K."),
    ("paul.r@demo.tribune.test", "Paul des Tilleuls"),
]
LEA, YVES, NADIA, PAUL = (email for email, _name in VOICES)

THREADS = {
    "plan-velo-2027": {
        "positions": True,
        "comments": [
            {
                "by": CAMILLE,
                "position": "pour",
                "text": (
                    "La traversée du boulevard Jean-Jaurès à hauteur du collège est vraiment "
                    "dangereuse le matin : les voitures tournent à droite sans regarder. Un feu "
                    "vélo dédié changerait tout."
                ),
                "supports": [KARIM, LEA, NADIA, PAUL],
                "replies": [
                    {
                        "by": KARIM,
                        "text": (
                            "Tout à fait d’accord, j’y passe avec mes enfants tous les jours. "
                            "Le marquage au sol est effacé depuis deux ans."
                        ),
                        "supports": [CAMILLE, NADIA],
                        "replies": [
                            {
                                "by": CAMILLE,
                                "text": "Et le soir, à la sortie du gymnase, c’est pire encore.",
                                "replies": [
                                    {
                                        "by": LEA,
                                        "text": (
                                            "Il y a eu un accrochage la semaine dernière, "
                                            "justement. Personne de blessé, heureusement."
                                        ),
                                    }
                                ],
                            }
                        ],
                    },
                    {
                        "by": AGENT,
                        "official": True,
                        "text": (
                            "Merci pour ce signalement. Le carrefour Jean-Jaurès / rue du "
                            "Collège fait partie des douze points noirs relevés par le "
                            "diagnostic de 2026 : un feu vélo anticipé y est prévu dans la "
                            "première tranche de travaux, au printemps 2027."
                        ),
                    },
                ],
            },
            {
                "by": KARIM,
                "position": "pour",
                "text": (
                    "Il manque surtout des arceaux sécurisés près de la gare. Je n’y laisse "
                    "plus mon vélo depuis qu’on m’en a volé deux.\n\nUn abri fermé avec "
                    "badge serait idéal, et pourquoi pas gratuit pour les abonnés TER ?"
                ),
                "supports": [CAMILLE, LEA, YVES],
                "replies": [
                    {
                        "by": NADIA,
                        "text": (
                            "Une consigne à 2 € par mois me conviendrait aussi, tant qu’elle "
                            "est surveillée."
                        ),
                    },
                    {
                        "by": CAMILLE,
                        "text": (
                            "Le compte rendu de la réunion publique sur le pôle gare en parle : "
                            "https://www.demo.example/pole-gare"
                        ),
                    },
                ],
            },
            {
                "by": YVES,
                "position": "contre",
                "text": (
                    "Je tiens un commerce rue de la République. Supprimer des places de "
                    "stationnement pour une piste, c’est condamner nos boutiques. Pensez "
                    "aussi à celles et ceux qui viennent des villages alentour."
                ),
                "supports": [PAUL],
                "replies": [
                    {
                        "by": CAMILLE,
                        "text": (
                            "Les enquêtes montrent pourtant que les cyclistes dépensent autant "
                            "que les automobilistes : ils viennent moins loin, mais plus souvent."
                        ),
                        "supports": [LEA],
                        "replies": [
                            {
                                "by": YVES,
                                "text": (
                                    "Peut-être dans les grandes villes. Ici, la moitié de mes "
                                    "clients viennent en voiture."
                                ),
                            }
                        ],
                    },
                    {
                        "by": KARIM,
                        "text": "Une aire de livraison bien placée réglerait une partie du souci.",
                        "supports": [YVES, NADIA],
                    },
                ],
            },
            {
                "by": LEA,
                "position": "neutre",
                "text": (
                    "Attention à l’éclairage : la voie verte du canal est plongée dans le noir "
                    "dès 17 h en hiver. Sans lumière, personne ne l’empruntera."
                ),
                "supports": [CAMILLE, KARIM],
                "replies": [
                    {
                        "by": AGENT,
                        "official": True,
                        "text": (
                            "L’éclairage de la voie verte sera renforcé cet hiver : 32 "
                            "candélabres à détection de présence, travaux prévus en janvier."
                        ),
                    }
                ],
            },
            {
                "by": NADIA,
                "text": "Doublon, désolée : voir mon message plus haut.",
                "deleted": True,
                "replies": [
                    {
                        "by": PAUL,
                        "text": (
                            "Pourquoi ne pas tester d’abord une rue en aménagement provisoire, "
                            "avant de tout couler dans le béton ?"
                        ),
                        "supports": [NADIA],
                    }
                ],
            },
        ],
    },
    "budget-participatif-tilleuls": {
        "a_priori": True,
        "comments": [
            {
                "by": CAMILLE,
                "text": (
                    "Des jardins partagés sur la friche derrière l’école des Tilleuls : les "
                    "enfants pourraient y apprendre à cultiver, et les anciens y transmettre."
                ),
                "supports": [PAUL, NADIA, KARIM],
                "replies": [
                    {
                        "by": COMMUNICATION,
                        "official": True,
                        "text": (
                            "La friche appartient à la commune : l’idée est recevable. Le "
                            "service des espaces verts chiffrera l’aménagement d’ici la fin "
                            "de la consultation."
                        ),
                    }
                ],
            },
            {
                "by": PAUL,
                "text": "Un terrain de basket rénové, éclairé jusqu’à 22 h.",
                "supports": [KARIM],
            },
            {
                "by": KARIM,
                "pending": True,
                "text": "Une boîte à livres devant la médiathèque annexe, à l’abri de la pluie.",
            },
        ],
    },
    "boite-a-idees": {
        "comments": [
            {
                "by": NADIA,
                "text": (
                    "Serait-il possible d’ouvrir la piscine municipale le dimanche matin "
                    "pendant les vacances scolaires ?"
                ),
                "supports": [CAMILLE, LEA],
                "replies": [
                    {
                        "by": COMMUNICATION,
                        "official": True,
                        "text": (
                            "Bonne nouvelle : la piscine ouvrira le dimanche de 9 h à 12 h "
                            "pendant les vacances d’hiver, à titre d’essai."
                        ),
                    }
                ],
            },
            {
                "by": LEA,
                "text": "Merci pour les nouveaux bancs du square Pasteur !",
                "supports": [PAUL],
            },
        ],
    },
}


def cover_image(title: str, colour: tuple[int, int, int]):
    """A plain generated illustration (decorative): no file to ship with the code."""
    from PIL import Image as PILImage
    from PIL import ImageDraw

    Image = get_image_model()
    existing = Image.objects.filter(title=title).first()
    if existing:
        return existing
    canvas = PILImage.new("RGB", (1200, 675), colour)
    draw = ImageDraw.Draw(canvas)
    light = tuple(min(255, c + 60) for c in colour)
    for i in range(6):
        draw.ellipse((120 + i * 170, 380 - i * 40, 420 + i * 170, 680 - i * 40), fill=light)
    buffer = io.BytesIO()
    canvas.save(buffer, "PNG")
    slug = title.lower().replace(" ", "-")[:40]
    return Image.objects.create(title=title, file=ImageFile(buffer, name=f"{slug}.png"))


class Loader:
    def __init__(self, out=None):
        self.out = out or io.StringIO()
        self.created = 0

    def say(self, text: str):
        self.out.write(text + "\n")

    def add_child(self, parent, page):
        parent.add_child(instance=page)
        page.save_revision().publish()
        self.created += 1
        return page

    def root(self):
        root = Page.objects.filter(depth=1).first()
        if root is None:  # a flushed test database has no tree at all
            root = Page.add_root(title="Root", slug="root")
        return root

    def home(self):
        root = self.root()
        home = HomePage.objects.first()
        if home is None:
            home = HomePage(
                title="Ville de Démo : participez !",
                slug="ville-de-demo",
                intro=(
                    "Donnez votre avis sur les projets de la commune, échangez avec vos "
                    "voisines et voisins, et suivez ce que la ville fait de vos contributions."
                ),
            )
            self.add_child(root, home)
            self.say("  page d'accueil créée")
        site = Site.objects.filter(is_default_site=True).first()
        if site is None:
            Site.objects.create(
                hostname="localhost",
                port=80,
                root_page=home,
                is_default_site=True,
                site_name="Ville de Démo",
            )
        elif site.root_page_id != home.pk:
            site.root_page = home
            site.site_name = "Ville de Démo"
            site.save()
        # Wagtail's starter page is of no use next to the demo home page.
        Page.objects.filter(
            depth=2, content_type__app_label="wagtailcore", content_type__model="page"
        ).delete()
        return home

    def child(self, parent, model, slug, **fields):
        existing = model.objects.child_of(parent).filter(slug=slug).first()
        if existing:
            return existing
        page = self.add_child(parent, model(slug=slug, **fields))
        self.say(f"  page « {page.title} » créée")
        return page

    def consultations(self, home):
        index = self.child(
            home,
            ConsultationIndexPage,
            "consultations",
            title="Consultations",
            intro="Toutes les consultations de la ville : en cours, à venir et terminées.",
            show_in_menus=True,
        )
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        for spec in CONSULTATIONS:
            if ConsultationPage.objects.child_of(index).filter(slug=spec["slug"]).exists():
                continue
            page = ConsultationPage(
                slug=spec["slug"],
                title=spec["title"],
                summary=spec["summary"],
                body=spec["body"],
                objectives=spec["objectives"],
                opens_at=now + timedelta(days=spec["opens"]),
                closes_at=(
                    now + timedelta(days=spec["closes"]) if spec["closes"] is not None else None
                ),
                cover_image=cover_image(f"Illustration — {spec['title']}", spec["colour"]),
                cover_decorative=True,
            )
            page.tags.add(*spec["themes"])
            self.add_child(index, page)
            self.say(f"  consultation « {page.title} » créée ({page.status.label.lower()})")
        return index

    def legal_pages(self, home):
        pages = {}
        for slug, (title, summary, body) in LEGAL_PAGES.items():
            pages[slug] = self.child(
                home, StandardPage, slug, title=title, summary=summary, body=body
            )
        return pages

    def news(self, home):
        index = self.child(
            home,
            NewsIndexPage,
            "actualites",
            title="Actualités",
            intro="Les nouvelles de la participation citoyenne à Démo.",
            show_in_menus=True,
        )
        today = timezone.localdate()
        for slug, title, days, summary in NEWS:
            self.child(
                index,
                NewsPage,
                slug,
                title=title,
                date=today + timedelta(days=days),
                summary=summary,
                body=[paragraph(f"<p>{summary}</p>")],
            )
        return index

    def settings(self, home, legal):
        site = Site.objects.get(root_page=home)
        branding = BrandingSettings.for_site(site)
        if branding.site_name == "Tribune":
            branding.site_name = "Démo participe"
            branding.institution_name = "Ville de Démo"
            branding.tagline = "La plateforme de participation de la Ville de Démo"
            branding.save()
        navigation = NavigationSettings.for_site(site)
        if navigation.legal_notice_page_id is None:
            navigation.legal_notice_page = legal["mentions-legales"]
            navigation.accessibility_page = legal["accessibilite"]
            navigation.charter_page = legal["charte-de-moderation"]
            navigation.accessibility_status = AccessibilityStatus.NONE
            navigation.contact_email = "participation@demo.tribune.test"
            navigation.save()

    def accounts(self):
        groups = {group.name: group for group in Group.objects.filter(name__in=roles.ALL)}
        for spec in ACCOUNTS:
            user = User.objects.filter(email=spec.email).first()
            if user is None:
                user = User(
                    email=spec.email,
                    display_name=spec.display_name,
                    is_staff=spec.role in roles.STAFF,
                    is_superuser=spec.superuser,
                )
                user.set_password(DEMO_PASSWORD)
                user.save()
                self.say(f"  compte {spec.email} ({spec.role}) créé")
            user.groups.add(groups[spec.role])
            self.second_factor(user)
            EmailAddress.objects.update_or_create(
                user=user, email=spec.email, defaults={"verified": True, "primary": True}
            )
            self.accept_terms(user)

    @staticmethod
    def second_factor(user):
        """The admin needs a second factor; demo staff share a known TOTP key
        (printed with the demo logins) so anyone can try the admin."""
        if not user.is_staff:
            return
        from allauth.mfa.models import Authenticator
        from allauth.mfa.totp.internal.auth import TOTP

        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, DEMO_TOTP_SECRET)

    @staticmethod
    def accept_terms(user):
        # Demo accounts take part at once; real people accept at sign-up.
        if records.needs_terms_acceptance(user):
            records.accept_terms(
                user,
                terms=records.current_document(LegalDocumentKind.TERMS),
                privacy=records.current_document(LegalDocumentKind.PRIVACY),
            )

    def demo_voters(self, count: int) -> list:
        """Fictitious residents who voted in the demo polls: no password, no verified
        e-mail, so nobody can sign in with them. Created in one query."""
        emails = [DEMO_VOTER_EMAIL.format(n) for n in range(1, count + 1)]
        existing = {user.email: user for user in User.objects.filter(email__in=emails)}
        missing = []
        for n, email in enumerate(emails, start=1):
            if email not in existing:
                user = User(email=email, display_name=f"Habitant·e {n:03d}")
                user.set_unusable_password()
                missing.append(user)
        if missing:
            User.objects.bulk_create(missing)
            self.say(f"  {len(missing)} votant·es fictif·ves créé·es")
            existing.update({user.email: user for user in User.objects.filter(email__in=emails)})
        return [existing[email] for email in emails]

    def polls(self):
        """The demo polls and their ballots; a poll already there is left untouched."""
        grant_poll_admin_permissions()
        pick = random.Random(2026)  # noqa: S311 - demo figures, the same on every machine
        for spec in POLLS:
            consultation = ConsultationPage.objects.filter(slug=spec["consultation"]).first()
            if (
                consultation is None
                or Poll.objects.filter(consultation=consultation, title=spec["title"]).exists()
            ):
                continue
            poll = Poll.objects.create(
                consultation=consultation,
                title=spec["title"],
                intro=spec["intro"],
                results_visibility=spec["results_visibility"],
                allow_change=spec["allow_change"],
                is_published=True,
            )
            questions = []
            for order, (text, kind, maximum, labels) in enumerate(spec["questions"]):
                question = Question.objects.create(
                    poll=poll, text=text, kind=kind, max_choices=maximum, sort_order=order
                )
                choices = [
                    Choice.objects.create(question=question, label=label, sort_order=n)
                    for n, label in enumerate(labels)
                ]
                questions.append((question, choices))
            entries = []
            for voter in self.demo_voters(spec["ballots"]):
                answers, weights = {}, iter(spec["weights"])
                for question, choices in questions:
                    if question.is_text:
                        if spec["texts"] and pick.random() < 0.15:
                            answers[question.pk] = pick.choice(spec["texts"])
                        continue
                    chosen = pick.choices(choices, weights=next(weights), k=3)
                    keep = 1 if not question.is_multiple else pick.randint(1, question.max_choices)
                    answers[question.pk] = list(dict.fromkeys(c.pk for c in chosen))[:keep]
                entries.append((voter, answers))
            added = poll_services.import_ballots(poll, entries)
            self.say(f"  sondage « {poll.title} » créé ({added} bulletins)")

    # --- Comment threads -------------------------------------------------------------

    def voices(self):
        """Demo citizens who only speak in the threads (no password: nobody logs in)."""
        citizens = Group.objects.get(name=roles.CITIZENS)
        found = {}
        for email, name in VOICES:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User(email=email, display_name=name)
                user.set_unusable_password()
                user.save()
                user.groups.add(citizens)
            EmailAddress.objects.update_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
            self.accept_terms(user)
            found[email] = user
        return found

    def comment_threads(self):
        """Threads written through the same services as the site, once: a consultation
        that already has comments is left as it is."""
        from django.conf import settings as django_settings
        from django.test.utils import override_settings

        from participation.models import CommentModeration, State
        from participation.services import comments as services

        people = {**{a.email: User.objects.get(email=a.email) for a in ACCOUNTS}, **self.voices()}
        # The demo writes a whole thread in a second: per-person limits would stop it.
        roomy = {
            action: (10_000, period)
            for action, (_n, period) in django_settings.TRIBUNE_RATE_LIMITS.items()
        }
        with override_settings(TRIBUNE_RATE_LIMITS=roomy):
            for slug, spec in THREADS.items():
                page = ConsultationPage.objects.filter(slug=slug).first()
                if page is None or page.comments.exists() or not page.is_open:
                    continue
                settings_changed = False
                if spec.get("a_priori") and not page.premoderated:
                    page.comment_moderation = CommentModeration.A_PRIORI
                    settings_changed = True
                if spec.get("positions") and not page.comment_positions:
                    page.comment_positions = True
                    settings_changed = True
                if settings_changed:
                    page.save_revision().publish()
                    page.refresh_from_db()
                count = 0
                # Posted oldest first (ids follow time), the first of the list last.
                items = list(reversed(spec["comments"]))
                start = timezone.now() - timedelta(days=2 * len(items) + 1)
                for n, item in enumerate(items):
                    when = start + timedelta(days=2 * n, hours=n * 5 % 11)
                    count += self.write(services, page, people, item, None, when, State)
                self.say(f"  {count} commentaires sur « {page.title} »")

    def write(self, services, page, people, item, parent, when, State):
        comment = services.post_comment(
            author=people[item["by"]],
            consultation=page,
            body=item["text"],
            parent=parent,
            position=item.get("position", ""),
            official=item.get("official", False),
            # Spread over the last days, as a real thread would be; dated comments are
            # history, not a surge of this minute (no false alert on loading).
            posted_at=when,
        )
        if comment.state == State.PENDING and not item.get("pending"):
            services.move_to_state(comment, State.PUBLISHED)  # as the moderators would
            comment.state = State.PUBLISHED
        for email in item.get("supports", ()):
            services.set_support(user=people[email], comment=comment, supported=True)
        count = 1
        for n, reply in enumerate(item.get("replies", ()), start=1):
            later = when + timedelta(hours=3 * n, minutes=17 * n)
            count += self.write(services, page, people, reply, comment, later, State)
        if item.get("deleted"):
            services.delete_comment(user=people[item["by"]], comment=comment)
        return count

    @transaction.atomic
    def load(self):
        grant_editorial_permissions()
        ensure_defaults()
        home = self.home()
        self.consultations(home)
        legal = self.legal_pages(home)
        self.news(home)
        self.settings(home, legal)
        self.accounts()
        self.polls()
        self.comment_threads()
        return self.created


def is_loaded() -> bool:
    return HomePage.objects.exists()


def load(out=None) -> int:
    """Load the demo site; returns how many pages were created (0 the second time)."""
    return Loader(out).load()


# Demo only: the shared TOTP key of the demo staff accounts.
DEMO_TOTP_SECRET = "KRZGSYTVNZSSAZDFNVXSAMRQGI3TIZLO"  # noqa: S105 (public demo key)


def logins(base_url: str = "") -> str:
    """How to sign in with the demo accounts, with the admin at `base_url` (where the
    site is served; WAGTAILADMIN_BASE_URL by default)."""
    from django.conf import settings as django_settings

    base = (base_url or django_settings.WAGTAILADMIN_BASE_URL).rstrip("/")
    return "\n".join(
        [
            "",
            "Comptes de démonstration (mot de passe commun : " + DEMO_PASSWORD + ") :",
            *(f"  {account.role:<22} {account.email}" for account in ACCOUNTS),
            f"Administration Wagtail : {base}/admin/",
            "Double authentification des comptes de l’équipe (démo) : clé TOTP "
            + DEMO_TOTP_SECRET
            + " à saisir dans une application d’authentification.",
        ]
    )
