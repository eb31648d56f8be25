"""SAP Gateway front door: ``sap-client``, logon (Basic, OAuth2 bearer), sessions and CSRF tokens.

- Basic auth against the store's users; OAuth2 client credentials at ``/sap/bc/sec/oauth2/token``
  issue bearer tokens (the OAuth client acts as the SAP user of the same name, upper case).
- ``X-CSRF-Token: Fetch`` on a GET/HEAD opens a session: response header ``x-csrf-token`` plus
  cookies ``SAP_SESSIONID_<SID>_<client>`` and ``sap-usercontext``. A modifying request needs that
  cookie and the matching token, else 403 with ``x-csrf-token: Required``.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
import time
from dataclasses import dataclass


@dataclass
class Session:
    id: str
    user: str
    client: str
    token: str


class LogonFailed(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class Gateway:
    def __init__(
        self,
        store,
        clients: tuple[str, ...] = ("100",),
        oauth_clients: dict[str, str] | None = None,
        sid: str = "S4H",
        token_ttl: int = 3600,
    ) -> None:
        self.store = store
        self.clients = tuple(str(c) for c in clients)
        self.oauth_clients = dict(oauth_clients or {})
        self.sid = sid
        self.token_ttl = token_ttl
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}
        self._bearer: dict[str, tuple[str, float]] = {}

    # --- client and logon ------------------------------------------------------------------------
    def client_of(self, args) -> str:
        client = args.get("sap-client") or self.clients[0]
        if client not in self.clients:
            raise LogonFailed(f"Logon failed: client {client} is not available in this system")
        return client

    def cookie_name(self, client: str) -> str:
        return f"SAP_SESSIONID_{self.sid}_{client}"

    def session_of(self, cookies, client: str) -> Session | None:
        sid = cookies.get(self.cookie_name(client))
        if not sid:
            return None
        with self._lock:
            return self._sessions.get(sid)

    def authenticate(self, headers, cookies, client: str) -> str:
        """The SAP user of this request, or LogonFailed."""
        auth = headers.get("Authorization", "")
        if auth.lower().startswith("basic "):
            try:
                user, _, password = base64.b64decode(auth[6:].strip()).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                raise LogonFailed("Logon failed: malformed Basic credentials") from None
            if self.store.users().get(user.upper()) != password:
                raise LogonFailed("Logon failed: name or password is incorrect")
            return user.upper()
        if auth.lower().startswith("bearer "):
            token = auth[7:].strip()
            with self._lock:
                entry = self._bearer.get(token)
            if not entry or entry[1] < time.time():
                raise LogonFailed("Logon failed: OAuth access token invalid or expired")
            return entry[0]
        session = self.session_of(cookies, client)
        if session is not None:
            return session.user
        raise LogonFailed("Logon failed: no credentials")

    def issue_token(self, headers, form) -> dict:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        auth = headers.get("Authorization", "")
        if auth.lower().startswith("basic "):
            try:
                client_id, _, secret = base64.b64decode(auth[6:].strip()).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                client_id = secret = None
        if form.get("grant_type") != "client_credentials":
            return {"error": "unsupported_grant_type"}
        if not client_id or self.oauth_clients.get(client_id) != secret:
            return {"error": "invalid_client"}
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._bearer[token] = (client_id.upper()[:12], time.time() + self.token_ttl)
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.token_ttl,
            "scope": "API_MAINTNOTIFICATION_0001 API_MAINTENANCEORDER_0002",
        }

    # --- CSRF ----------------------------------------------------------------------------------
    def fetch_token(self, cookies, user: str, client: str) -> Session:
        session = self.session_of(cookies, client)
        if session is None or session.user != user:
            session = Session(secrets.token_hex(16), user, client, _token())
            with self._lock:
                self._sessions[session.id] = session
        return session

    def check_csrf(self, headers, cookies, user: str, client: str) -> bool:
        token = headers.get("X-CSRF-Token", "")
        session = self.session_of(cookies, client)
        return bool(
            session
            and token
            and session.user == user
            and secrets.compare_digest(token, session.token)
        )

    def expire_all(self) -> None:
        """Forget every session and CSRF token (fault 'csrf_expire')."""
        with self._lock:
            self._sessions.clear()


def _token() -> str:
    return base64.b64encode(secrets.token_bytes(18)).decode()
