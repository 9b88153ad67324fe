"""Read settings from the environment, with French errors for the person deploying."""

import os

from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on", "oui", "vrai"}
FALSE = {"0", "false", "no", "off", "non", "faux", ""}


def text(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ImproperlyConfigured(
        f"La variable d'environnement {name} vaut « {raw} » : indiquez true ou false."
    )


def number(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(
            f"La variable d'environnement {name} vaut « {raw} » : un nombre entier est attendu."
        ) from None


def words(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in text(name, default).split(",") if item.strip()]


def seconds(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return float(raw.replace(",", "."))
    except ValueError:
        raise ImproperlyConfigured(
            f"La variable d'environnement {name} vaut « {raw} » : "
            "un nombre de secondes est attendu (par exemple 0.5)."
        ) from None
