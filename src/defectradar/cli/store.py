"""``defectradar migrate``: create a store or upgrade its schema."""

from __future__ import annotations

from defectradar.cli.common import DbOption, err, open_store
from defectradar.store.migrate import latest_version


def migrate(db: DbOption = None) -> None:
    """Create the store, or bring an older store's schema up to date."""
    store = open_store(db)
    with store.exclusive_writer():
        applied = store.migrate()
    if applied:
        err.print(f"{store.path}: applied migrations {', '.join(map(str, applied))} (schema v{latest_version()})")
    else:
        err.print(f"{store.path}: schema is up to date (v{latest_version()})")
