"""French stemming for Wagtail's search on every database.

PostgreSQL stems French itself (SEARCH_CONFIG "french"); SQLite's full-text index
does not, so « piste » would not find « pistes ». Each page therefore carries an
indexed field of its words reduced to their stems (Snowball's French stemmer, pure
Python), without accents, and the search view looks the stems of the query up in it:
plurals, feminines and verb forms meet, and « velo » finds « vélo », on any backend.
"""

import re
import unicodedata
from functools import lru_cache

import snowballstemmer
from django.utils.html import strip_tags
from wagtail.search import index

WORD = re.compile(r"\w+")
# Words too common to tell pages apart; dropped from queries and stems.
STOP_WORDS = frozenset(
    [
        "a",
        "au",
        "aux",
        "avec",
        "ce",
        "ces",
        "cet",
        "cette",
        "d",
        "dans",
        "de",
        "des",
        "du",
        "elle",
        "en",
        "et",
        "est",
        "il",
        "ils",
        "j",
        "je",
        "l",
        "la",
        "le",
        "les",
        "leur",
        "leurs",
        "lui",
        "m",
        "ma",
        "mais",
        "me",
        "mes",
        "n",
        "ne",
        "nos",
        "notre",
        "nous",
        "on",
        "ou",
        "par",
        "pas",
        "pour",
        "qu",
        "que",
        "qui",
        "s",
        "sa",
        "se",
        "ses",
        "son",
        "sur",
        "t",
        "ta",
        "te",
        "tes",
        "ton",
        "un",
        "une",
        "vos",
        "votre",
        "vous",
        "y",
    ]
)


@lru_cache(maxsize=1)
def _stemmer():
    return snowballstemmer.stemmer("french")


def _unaccent(text: str) -> str:
    return "".join(
        char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char)
    )


def stems(text: str) -> list[str]:
    """The stems of a text's words, in order, stop words left out."""
    words = [word for word in WORD.findall(text.lower()) if word not in STOP_WORDS]
    found = []
    for stem in _stemmer().stemWords(words):
        # Snowball keeps the plural -s after a vowel (« vélos »): drop it as well.
        if len(stem) > 3 and stem[-1] in "sx":
            stem = stem[:-1]
        found.append(_unaccent(stem))
    return found


def stemmed_query(query: str) -> str:
    """The query as stems; the query itself when it holds only stop words."""
    return " ".join(dict.fromkeys(stems(query))) or query


class StemmedSearch:
    """Mixin for page models: add `STEMS_FIELD` to `search_fields`."""

    def search_stems(self) -> str:
        texts = []
        for field in type(self).search_fields:
            if not isinstance(field, index.SearchField) or field.field_name == "search_stems":
                continue
            value = getattr(self, field.field_name, None)
            if value is None:
                continue
            try:
                model_field = self._meta.get_field(field.field_name)
            except Exception:  # a method or property: its text as it is
                model_field = None
            if model_field is not None and hasattr(model_field, "get_searchable_content"):
                texts.extend(str(part) for part in model_field.get_searchable_content(value))
            else:
                texts.append(str(value))
        return " ".join(dict.fromkeys(stems(strip_tags(" ".join(texts)))))


STEMS_FIELD = index.SearchField("search_stems")
# Raised when what the index holds changes: `manage.py serve` rebuilds an index built
# by an older version (production: `manage.py update_index` after the upgrade).
INDEX_VERSION = "1-french-stems"
