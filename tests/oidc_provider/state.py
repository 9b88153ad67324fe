"""What the tests told this provider (one process: module state is enough)."""

# username → extra claims (given_name, birthdate, acr, amr…)
IDENTITIES: dict[str, dict] = {}
# "" or one misbehaviour: nonce, expired, issuer, tampered, hs256, other_key
MODE = {"value": ""}
