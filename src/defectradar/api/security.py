"""Who is asking, and may they: bearer keys, signed session cookies, CSRF tokens, rate limits.

* API calls send ``Authorization: Bearer KEY``; browsers carry a session cookie made at login.
* A session cookie is ``name|role|expiry|nonce`` signed with HMAC-SHA256 under a key made when
  the server starts (so a restart logs everyone out, and no secret is ever written anywhere).
  It is HttpOnly, SameSite=Lax, and Secure whenever the request came over HTTPS.
* Every state-changing request made with a session cookie must carry the session's CSRF token
  (form field ``csrf_token`` or header ``X-CSRF-Token``): the token is an HMAC of the session's
  nonce, so a page on another site can neither read nor forge it.  Bearer calls need none: a
  browser never attaches a bearer key by itself.
* Accounts are looked up in the store at most every few seconds per key or session (a revoked
  account stops working within :data:`ACCOUNT_CACHE_SECONDS`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

from fastapi import Request

from defectradar.accounts import Account, account_for_key

SESSION_COOKIE = "dr_session"
LOGIN_CSRF_COOKIE = "dr_login_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
ACCOUNT_CACHE_SECONDS = 5.0
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class AuthError(Exception):
    """Raised by the checks below; the app turns it into 401/403/429 (JSON or a login redirect)."""

    def __init__(self, status: int, code: str, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after


@dataclass(frozen=True)
class Session:
    account: Account
    nonce: str
    expires: int


class Sessions:
    """Signs and reads session cookies and their CSRF tokens."""

    def __init__(self, hours: float, key: bytes | None = None) -> None:
        self.key = key or secrets.token_bytes(32)
        self.seconds = int(hours * 3600)

    def _sign(self, payload: str) -> str:
        return hmac.new(self.key, payload.encode(), hashlib.sha256).hexdigest()

    def issue(self, account: Account) -> str:
        payload = f"{account.name}|{account.role}|{int(time.time()) + self.seconds}|{secrets.token_hex(16)}"
        token = base64.urlsafe_b64encode(payload.encode()).decode()
        return f"{token}.{self._sign(payload)}"

    def read(self, cookie: str | None) -> Session | None:
        if not cookie or "." not in cookie:
            return None
        token, signature = cookie.rsplit(".", 1)
        try:
            payload = base64.urlsafe_b64decode(token.encode()).decode()
            name, role, expires, nonce = payload.split("|")
        except (ValueError, UnicodeDecodeError):
            return None
        if not hmac.compare_digest(signature, self._sign(payload)) or int(expires) < time.time():
            return None
        return Session(Account(name, role), nonce, int(expires))

    def csrf_token(self, session: Session) -> str:
        return self._sign(f"csrf|{session.nonce}")[:40]

    def csrf_ok(self, session: Session, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(token, self.csrf_token(session))


class RateLimiter:
    """Token buckets of ``per_minute`` requests, one per account and one per client address.

    In memory and per process: the server runs one process, and a restart forgiving everyone
    is harmless.  Buckets of clients gone quiet are dropped when the table grows large.
    """

    def __init__(self, per_minute: int) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(per_minute)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, who: str) -> int | None:
        """Spend one request of ``who``'s bucket; None when allowed, else seconds to wait."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(who, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens < 1.0:
                self._buckets[who] = (tokens, now)
                return max(1, int((1.0 - tokens) / self.rate + 0.999))
            self._buckets[who] = (tokens - 1.0, now)
            if len(self._buckets) > 50_000:
                self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 120}
            return None


class AccountCache:
    """Accounts by API key hash or session name, re-read from the store every few seconds."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[float, Account | None]] = {}
        self._lock = threading.Lock()

    def get(self, what: str, load) -> Account | None:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(what)
        if hit and now - hit[0] < ACCOUNT_CACHE_SECONDS:
            return hit[1]
        account = load()
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[what] = (now, account)
        return account

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def bearer_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _live_session_account(request: Request, session: Session) -> Account | None:
    """The session's account as the store has it now (a revoked or demoted account loses its session)."""
    state = request.app.state

    def load():
        with state.store.reader() as con:
            row = con.execute("SELECT role FROM users WHERE name = ? AND revoked_at IS NULL",
                              [session.account.name]).fetchone()
        return Account(session.account.name, row[0]) if row else None

    return state.accounts.get("session:" + session.account.name, load)


def identify(request: Request) -> tuple[Account | None, Session | None]:
    """The account behind a request (bearer key first, then the session cookie), or None."""
    state = request.app.state
    key = bearer_key(request)
    if key is not None:
        digest = hashlib.sha256(key.encode()).hexdigest()

        def load():
            with state.store.reader() as con:
                return account_for_key(con, key)

        account = state.accounts.get("key:" + digest, load)
        if account is None:
            raise AuthError(401, "unauthenticated", "the API key is not valid (revoked, or mistyped); ask an admin "
                                                    "for a key: defectradar users create NAME --role viewer")
        return account, None
    session = state.sessions.read(request.cookies.get(SESSION_COOKIE))
    if session is None:
        return None, None
    account = _live_session_account(request, session)
    return account, (session if account else None)


def limit_rate(request: Request, account: Account | None) -> None:
    limiter: RateLimiter = request.app.state.rate_limiter
    for who in ([f"account:{account.name}"] if account else []) + [f"address:{client_address(request)}"]:
        wait = limiter.take(who)
        if wait is not None:
            raise AuthError(429, "rate_limited", f"too many requests from this {who.split(':')[0]}; "
                                                 f"try again in {wait} s", retry_after=wait)


async def check_csrf(request: Request, session: Session | None) -> None:
    """Refuse a cookie-authenticated unsafe request without the session's CSRF token."""
    if session is None or request.method not in UNSAFE_METHODS:
        return
    token = request.headers.get(CSRF_HEADER)
    if token is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        token = value if isinstance(value, str) else None
    if not request.app.state.sessions.csrf_ok(session, token):
        raise AuthError(403, "csrf_failed", "the form's security token is missing or stale; reload the page "
                                            "and try again")


def requirement(role: str):
    """A FastAPI dependency: the request's account, which must hold ``role``.

    Raises 401 when nobody is logged in, 403 when the account lacks the role or an unsafe request
    lacks its CSRF token, 429 when over the rate limit.
    """

    async def dependency(request: Request) -> Account:
        account, session = identify(request)
        limit_rate(request, account)
        if account is None:
            raise AuthError(401, "unauthenticated", "log in, or send Authorization: Bearer KEY")
        if not account.can(role):
            raise AuthError(403, "forbidden", f"this needs the {role} role; {account.name} is a {account.role}")
        await check_csrf(request, session)
        request.state.account = account
        request.state.session = session
        return account

    return dependency
