"""Deleting accounts: every registered model, in order, for a batch of account ids.

The same function serves a person deleting their account and the retention rules
deleting hundreds of thousands of inactive ones (in batches), so both always do the
same thing.
"""

import logging
from collections.abc import Sequence

from django.db import transaction

from consent.registry import Choice, registry

logger = logging.getLogger(__name__)


def erase_accounts(user_ids: Sequence[int], *, choice: str = Choice.ANONYMISE) -> dict[str, int]:
    """Apply each registered eraser (contributions first, the accounts last) to these
    accounts; return the rows affected per model. One transaction: all or nothing."""
    if choice not in Choice.values:
        raise ValueError(f"unknown choice {choice!r}")
    user_ids = list(user_ids)
    results = {}
    if not user_ids:
        return results
    with transaction.atomic():
        for entry in registry.ordered_entries():
            results[entry.key] = entry.erase(entry, user_ids, choice)
    return results
