"""Authentication and roles of the web API.

A caller presents its API key as ``Authorization: Bearer <key>`` or, for the browser (an
``EventSource`` cannot send headers), in the ``packlife_key`` cookie that ``POST /api/v1/session``
sets (HttpOnly, SameSite=Strict: another site's page cannot send it). No key or an unknown key:
401; a role too low for the route: 403. Keys are looked up by their SHA-256 in a cache that is
refreshed from the store every second (and on an unknown key, at most every 0.1 s), so a removed
user is locked out within a second and a new one admitted at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from packlife.serve.access import RANK, AccessStore, User, hash_key

COOKIE = "packlife_key"
#: An unknown key re-reads the users at most this often (a user just added works at once) [s].
MISS_REREAD_S = 0.1
_bearer = HTTPBearer(auto_error=False, description="API key: Authorization: Bearer <key>")
_cookie = APIKeyCookie(name=COOKIE, auto_error=False, description="API key in a cookie")


class KeyCache:
    """Users by key hash, re-read from the store when older than ``max_age_s``."""

    def __init__(self, access: AccessStore, max_age_s: float = 1.0) -> None:
        self.access = access
        self.max_age_s = max_age_s
        self._users: dict[str, User] = {}
        self._read_at = -1e9

    def invalidate(self) -> None:
        """Re-read the users on the next request (after a change made by this process)."""
        self._read_at = -1e9

    def user(self, key: str) -> User | None:
        """The user holding ``key``, if any."""
        now = time.monotonic()
        digest = hash_key(key)
        age = now - self._read_at
        if age > self.max_age_s or (digest not in self._users and age > MISS_REREAD_S):
            self._users = self.access.users_by_key_hash()
            self._read_at = now
        return self._users.get(digest)


def require(role: str) -> Callable[..., Coroutine[Any, Any, User]]:
    """A dependency admitting callers with ``role`` or a higher one."""

    async def dependency(
        request: Request,
        bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        cookie: Annotated[str | None, Depends(_cookie)],
    ) -> User:
        key = bearer.credentials if bearer is not None else cookie
        if not key:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "an API key is needed (Authorization: Bearer <key>)",
                headers={"WWW-Authenticate": "Bearer"},
            )
        user: User | None = request.app.state.keys.user(key)
        if user is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "unknown API key",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if RANK[user.role] < RANK[role]:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"needs the {role} role (you are {user.role})"
            )
        return user

    return dependency


Viewer = Annotated[User, Depends(require("viewer"))]
Operator = Annotated[User, Depends(require("operator"))]
Admin = Annotated[User, Depends(require("admin"))]
