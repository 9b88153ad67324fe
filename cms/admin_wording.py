"""French wording of a few Wagtail admin strings, overridden by Tribune's catalogue
(locale/ comes before the packages' catalogues). Wagtail's French says « Ajouter
un(e) choix »: the gender guess reads badly; ours says « Ajouter : choix ». Listed here
so `makemessages` keeps them in locale/fr."""

from django.utils.translation import gettext_noop

OVERRIDDEN = [
    gettext_noop("Add %(label)s"),
    gettext_noop("Add %(model_name)s"),
    gettext_noop("Create a new %(model_name)s"),
]
