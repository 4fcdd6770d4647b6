"""Shared by the API and dashboard tests: a small demo store served by the real app, and one
client per role (viewer, analyst, admin), logged in both ways (bearer key and browser session)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from defectradar.accounts import NewAccount, create_user
from defectradar.config import load_settings
from defectradar.store.connect import Store

ROLES = ("viewer", "analyst", "admin")


@dataclass
class Served:
    """A store, its app, and one account per role."""

    store: Store
    app: object
    accounts: dict[str, NewAccount]
    world: Path | None = None

    def api(self, role: str | None) -> TestClient:
        """A client sending ``role``'s bearer key (None: no credentials)."""
        client = TestClient(self.app)
        if role:
            client.headers["Authorization"] = f"Bearer {self.accounts[role].api_key}"
        return client

    def browser(self, role: str) -> TestClient:
        """A client logged in through the login form, holding a session cookie; ``.csrf`` is its token."""
        client = TestClient(self.app)
        login(client, role, self.accounts[role].password)
        page = client.get("/")
        match = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
        client.csrf = match.group(1) if match else ""
        return client


def login(client: TestClient, name: str, password: str):
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token, "next": "/"},
                       follow_redirects=False)


def serve_store(store: Store, world: Path | None = None) -> Served:
    from defectradar.api.app import create_app

    app = create_app(store)
    accounts = {role: create_user(store, role, role) for role in ROLES}
    return Served(store, app, accounts, world)


def demo_served(base: Path, scale: float = 0.05, seed: int = 11) -> Served:
    """The demo loop (simulate, ingest, scans, audit) on a small world, served."""
    from defectradar.demo import run_demo

    settings = load_settings(db=str(base / "demo.duckdb"), lock_timeout=30.0, key_dir=str(base / "keys"))
    store = Store(settings.db, settings)
    run_demo(store, base / "world", seed=seed, scale=scale)
    return serve_store(store, base / "world")


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory) -> Served:
    """The demo world served once per test session (read it; write only alert actions and labels)."""
    return demo_served(tmp_path_factory.mktemp("demo-site"))


@pytest.fixture
def empty_site(tmp_path) -> Served:
    """A new, empty store, served."""
    settings = load_settings(db=str(tmp_path / "empty.duckdb"), lock_timeout=10.0, key_dir=str(tmp_path / "keys"))
    return serve_store(Store(settings.db, settings))
