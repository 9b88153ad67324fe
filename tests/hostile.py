"""What a script, a careless paste or an attacker sends instead of what a form asks for.

tests/test_fuzz.py sends every one of these to every public form and query parameter
and to the main admin screens; none may answer with a server error. Add a payload here
when a new kind of input breaks something: every screen is then checked against it.
"""

HOSTILE = [
    # Characters databases and file formats refuse
    "\x00",
    "avant\x00après",
    "\x00" * 50,
    "\x01\x02\x03\x07\x08",
    "\x0b\x0c\x1b\x1f",
    "texte\x7fsuite",
    "\r\n\r\n",
    "\t",
    # Numbers out of every range
    "-1",
    "0",
    "1000000000",
    "99999999999999999999999999999999",
    "-99999999999999999999999999999999",
    "1e30",
    "NaN",
    "Infinity",
    "-Infinity",
    "0x1F",
    "3.14",
    "1,5",
    "²",  # a digit to str.isdigit(), not to int()
    "٣",  # Arabic-Indic three
    # Dates and cursors that are not
    "2026-02-30",
    "9999-12-31",
    "0000-00-00",
    "2026-13",
    "9999-12",
    "0001-01-01",
    # Markup and script
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{ settings.SECRET_KEY }}{% debug %}",
    '=HYPERLINK("http://x")',
    # SQL and paths
    "' OR '1'='1",
    "1; DROP TABLE participation_comment; --",
    "%",
    "_%_",
    "../../../../etc/passwd",
    "//evil.example/",
    # Length
    "a" * 10_000,
    "é" * 3_000,
    # Unicode that is tricky to display or to store
    "\u202eeciov\u202c",  # right-to-left override
    "\u200b\u200c\u200d\ufeff",  # zero-width characters
    "👩‍👩‍👧‍👦🇫🇷🏳️‍🌈",
    "\ud800",  # a lone surrogate: not even encodable in UTF-8
    "Ａｄｍｉｎ",  # fullwidth
    "",
    " ",
]

# The payloads most likely to break a service that read the field: tried one field at
# a time (tests/test_fuzz.py).
SHARP = [
    "avant\x00après",
    "\x01\x02\x03\x07\x08",
    "99999999999999999999999999999999",
    "NaN",
    "1e30",
    "²",
    "a" * 10_000,
    "\ud800",
]
