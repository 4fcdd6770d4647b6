"""``defectradar users``: accounts of the dashboard and the API (create, list, revoke)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from defectradar.accounts import ROLES, create_user, list_users, revoke_user
from defectradar.cli.common import DbOption, JsonOption, new_app, open_store, out, print_json

users_app = new_app("Accounts of the dashboard and the REST API.")


@users_app.command("create")
def users_create(name: Annotated[str, typer.Argument(help="Account name (letters, digits, _ . @ -).")],
                 role: Annotated[str, typer.Option(help=f"One of {', '.join(ROLES)}.")] = "viewer",
                 db: DbOption = None, json_: JsonOption = False) -> None:
    """Create an account; prints its password and API key once (they are stored hashed)."""
    store = open_store(db)
    store.migrate()
    account = create_user(store, name, role, created_by="cli")
    if json_:
        print_json(account.to_dict())
        return
    out.print(f"account [bold]{escape(account.name)}[/] ({account.role}) created; these are shown once:")
    out.print(f"  password: {account.password}")
    out.print(f"  API key:  {account.api_key}   (send as: Authorization: Bearer KEY)")


@users_app.command("list")
def users_list(db: DbOption = None, json_: JsonOption = False) -> None:
    """Every account, its role and key hint (never a password or key)."""
    store = open_store(db)
    with store.reader() as con:
        rows = list_users(con)
    if json_:
        print_json(rows)
        return
    table = Table("name", "role", "key starts", "created", "revoked")
    for r in rows:
        table.add_row(escape(r["name"]), r["role"], r["api_key_hint"], f"{r['created_at']:%Y-%m-%d %H:%M}",
                      f"{r['revoked_at']:%Y-%m-%d %H:%M}" if r["revoked_at"] else "-")
    out.print(table if rows else "no accounts yet; create one with `defectradar users create NAME --role analyst`")


@users_app.command("revoke")
def users_revoke(name: Annotated[str, typer.Argument(help="Account to revoke.")], db: DbOption = None,
                 json_: JsonOption = False) -> None:
    """Stop an account's password and API key from working (within a few seconds on a running server)."""
    result = revoke_user(open_store(db), name)
    if json_:
        print_json(result)
    else:
        out.print(f"account {escape(name)} revoked")
