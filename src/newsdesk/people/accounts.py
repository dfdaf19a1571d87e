"""Accounts: names, passwords, sessions, one-time sign-in links, and the sign-in rate limit.

- **Names** are what readers see beside comments: 2–40 letters, digits, ``.``, ``_`` or ``-``, starting
  with a letter or digit, normalized (NFKC) and unique ignoring case. Names that would pass for the
  site or its staff (``admin``, ``moderator``, ``newsdesk``…) are reserved, so a comment cannot
  impersonate them; the roles themselves show as badges the name cannot fake.
- **Passwords** are hashed with Argon2id (argon2-cffi's defaults, RFC 9106's second recommended
  setting) and rehashed on sign-in when the parameters change.
- **Sign-in answers the same** for an unknown name, a wrong password and a disabled account (one
  :class:`SignInError`), and an unknown name costs the same time: a password is checked against a
  dummy hash.
- **Rate limit**: past ``sign_in_attempts`` failures in ``sign_in_window_s`` for one account name, or
  from one address, signing in there is refused with :class:`SignInLimitedError` until the window
  has gone by — whether the name exists or not — and each refusal is logged (``sign_in.limited``).
  Failures are stored, so every process serving the site counts the same ones.
- **Tokens** (sessions, sign-in links) are 256 random bits given to the reader once; the database
  keeps their SHA-256, so a copy of the database signs nobody in.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import unicodedata
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from newsdesk.config import Settings
from newsdesk.errors import AccountError, ForbiddenError, NotFoundError, SignInError, SignInLimitedError
from newsdesk.model import (
    MAX_NAME_CHARS,
    MAX_PASSWORD_CHARS,
    MIN_PASSWORD_CHARS,
    Clock,
    NewSession,
    Role,
    SignedIn,
    User,
)
from newsdesk.store import Storage

log = logging.getLogger(__name__)

_NAME = re.compile(r"[^\W_][\w.-]*")
RESERVED_NAMES = frozenset(
    {"admin", "administrator", "moderator", "mod", "newsdesk", "root", "staff", "system", "deleted", "anonymous"}
)
LINK_LIFETIME = timedelta(hours=24)


def name_key(name: str) -> str:
    """The form names are compared in: NFKC, casefolded."""
    return unicodedata.normalize("NFKC", name).casefold()


def checked_name(name: str) -> str:
    """``name`` as stored (NFKC, spaces trimmed), or an :class:`AccountError` saying what is wrong with it."""
    name = unicodedata.normalize("NFKC", name).strip()
    if not 2 <= len(name) <= MAX_NAME_CHARS:
        raise AccountError(f"a name has 2 to {MAX_NAME_CHARS} characters")
    if not _NAME.fullmatch(name):
        raise AccountError("a name has letters, digits, '.', '_' and '-' only, and starts with a letter or digit")
    if name.casefold() in RESERVED_NAMES:
        raise AccountError(f"the name {name!r} is reserved")
    return name


def checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"a password has at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise AccountError(f"a password has at most {MAX_PASSWORD_CHARS} characters")
    return password


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class Accounts:
    """The account rules over the storage (the facade builds one; see the module docstring)."""

    def __init__(self, storage: Storage, clock: Clock, settings: Settings) -> None:
        self.storage = storage
        self.clock = clock
        self.settings = settings
        self.hasher = PasswordHasher()

    @cached_property
    def _dummy_hash(self) -> str:
        return self.hasher.hash(secrets.token_urlsafe(16))

    # -- accounts ------------------------------------------------------------------------------

    def create(self, name: str, password: str | None, role: Role = Role.READER) -> User:
        """A new account (a password, or None for one that signs in by link or passkey only)."""
        name = checked_name(name)
        hashed = None if password is None else self.hasher.hash(checked_password(password))
        user = self.storage.add_user(name, name_key(name), hashed, role, self.clock())
        log.info("account.created user=%d role=%s", user.id, role.value)
        return user

    def find(self, name: str) -> User:
        stored = self.storage.stored_user(name_key(name))
        if stored is None:
            raise NotFoundError(f"no account named {name!r}")
        return stored.user

    def set_disabled(self, name: str, disabled: bool) -> User:
        """Disable (every session ends) or enable an account."""
        user = self.storage.update_user(self.find(name).id, disabled=disabled)
        log.info("account.%s user=%d", "disabled" if disabled else "enabled", user.id)
        return user

    def set_role(self, name: str, role: Role) -> User:
        user = self.storage.update_user(self.find(name).id, role=role)
        log.info("account.role user=%d role=%s", user.id, role.value)
        return user

    def administer(self, actor: User, user_id: int, *, role: Role | None = None, disabled: bool | None = None) -> User:
        """An admin changes another account's role or disables it; ForbiddenError for anyone else, and for an
        admin acting on their own account (the last admin must not lock the site out)."""
        if not actor.is_admin or actor.disabled:
            raise ForbiddenError("only an administrator may change accounts")
        if actor.id == user_id:
            raise ForbiddenError("administrators cannot change their own role or disable themselves here")
        user = self.storage.update_user(user_id, role=role, disabled=disabled)
        log.info(
            "account.administered by=%d user=%d role=%s disabled=%s",
            actor.id,
            user_id,
            role.value if role else "-",
            "-" if disabled is None else disabled,
        )
        return user

    def set_password(self, user_id: int, password: str) -> User:
        """A new password; every session of the account ends (a stolen cookie too)."""
        return self.storage.update_user(user_id, password_hash=self.hasher.hash(checked_password(password)))

    def export(self, user: User) -> dict[str, Any]:
        """What newsdesk keeps about the reader, as JSON-ready data: the account, its sessions (times only),
        passkeys (names and times), follows and mutes, keyword filters, bookmarks, read history and comments.
        Never a password hash, a token or a key."""
        at = _iso
        user_id = user.id
        return {
            "format": "newsdesk-account-export/1",
            "exported_at": at(self.clock()),
            "account": {
                "name": user.name,
                "role": user.role.value,
                "created_at": at(user.created_at),
                "has_password": user.has_password,
            },
            "sessions": [{"began": at(b), "expires": at(e)} for b, e in self.storage.user_sessions(user_id)],
            "passkeys": [
                {
                    "name": p.passkey.name,
                    "created_at": at(p.passkey.created_at),
                    "last_used_at": at(p.passkey.last_used_at),
                }
                for p in self.storage.passkeys(user_id)
            ],
            "follows": [
                {"kind": f.kind, "key": f.key, "mode": f.mode, "since": at(f.created_at)}
                for f in self.storage.follows(user_id)
            ],
            "keyword_filters": [
                {"phrase": k.phrase, "language": k.language, "action": k.action}
                for k in self.storage.keyword_filters(user_id)
            ],
            "bookmarks": [
                {"article_id": b.article_id, "title": b.title, "note": b.note, "saved_at": at(b.created_at)}
                for b in self.storage.bookmarks(user_id, limit=100_000)
            ],
            "read": [
                {"kind": r.kind, "id": r.key, "read_at": at(r.read_at)}
                for kind in ("article", "story")
                for r in self.storage.read_marks(user_id, kind).values()
            ],
            "comments": [
                {
                    "on": c.target.value,
                    "id": c.target_id,
                    "reply_to": c.parent_id,
                    "text": c.body,
                    "status": c.status.value,
                    "posted_at": at(c.created_at),
                    "edited_at": at(c.edited_at),
                }
                for c in self.storage.comments_of(user_id)
            ],
        }

    def delete(self, user: User, password: str | None, *, keep_comments: bool = True) -> None:
        """Delete the reader's own account. One with a password must give it again (a left-open laptop is
        not enough); the last administrator cannot leave the site without one. ``keep_comments``: their
        comments stay, signed "deleted account"; else they are emptied as if each were deleted by its author."""
        stored = self.storage.stored_user(name_key(user.name))
        if stored is None:
            raise NotFoundError(f"no account named {user.name!r}")
        if stored.password_hash is not None and not self._verify(stored.password_hash, password or ""):
            raise AccountError("the password is not right: the account is kept")
        if user.is_admin and sum(u.is_admin and not u.disabled for u in self.storage.users(100_000)) <= 1:
            raise AccountError("you are the only administrator: make someone else one first")
        if not keep_comments:
            self.storage.blank_comments_of(user.id)
        self.storage.delete_user(user.id)
        log.info("account.deleted user=%d comments=%s", user.id, "kept" if keep_comments else "removed")

    # -- signing in ----------------------------------------------------------------------------

    def sign_in(self, name: str, password: str, address: str) -> NewSession:
        """A session for the account whose password this is (see the module docstring for what fails how)."""
        key = name_key(name)[: MAX_NAME_CHARS * 2]
        keys = (f"user:{key}", f"addr:{address[:100]}")
        since = self.clock() - timedelta(seconds=self.settings.sign_in_window_s)
        if any(self.storage.sign_in_failures(k, since) >= self.settings.sign_in_attempts for k in keys):
            log.warning("sign_in.limited name=%r address=%s", key, address)
            minutes = max(1, round(self.settings.sign_in_window_s / 60))
            raise SignInLimitedError(f"too many failed sign-ins; try again in {minutes} minutes")
        stored = self.storage.stored_user(key)
        checked = stored.password_hash if stored and stored.password_hash else self._dummy_hash
        ok = self._verify(checked, password[:MAX_PASSWORD_CHARS]) and stored is not None
        if not ok or stored is None or stored.password_hash is None or stored.user.disabled:
            self.storage.record_sign_in_failure(keys, self.clock())
            log.info("sign_in.failed name=%r address=%s", key, address)
            raise SignInError()
        if self.hasher.check_needs_rehash(stored.password_hash):
            self.storage.update_user(stored.user.id, password_hash=self.hasher.hash(password))
        return self.begin_session(stored.user)

    def _verify(self, hashed: str, password: str) -> bool:
        try:
            return self.hasher.verify(hashed, password)
        except (VerificationError, InvalidHashError):
            return False

    def begin_session(self, user: User) -> NewSession:
        """A new session of ``user`` (after a password, a link or a passkey proved who it is)."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self.clock()
        expires = now + timedelta(days=self.settings.session_days)
        self.storage.add_session(token_hash(token), user.id, csrf, now, expires)
        log.info("session.begun user=%d", user.id)
        return NewSession(token, SignedIn(user, csrf, expires))

    def session(self, token: str) -> SignedIn | None:
        """Who a session cookie's token signs in, or None (unknown, expired, or the account disabled)."""
        if not token or len(token) > 100:
            return None
        return self.storage.session(token_hash(token), self.clock())

    def sign_out(self, token: str) -> None:
        if token and len(token) <= 100:
            self.storage.end_session(token_hash(token))

    # -- one-time sign-in links ----------------------------------------------------------------

    def sign_in_link(self, name: str) -> str:
        """A new one-time sign-in token for the account (the operator hands out its link; no e-mail)."""
        user = self.find(name)
        token = secrets.token_urlsafe(32)
        now = self.clock()
        self.storage.add_sign_in_link(token_hash(token), user.id, now, now + LINK_LIFETIME)
        log.info("sign_in_link.made user=%d", user.id)
        return token

    def use_sign_in_link(self, token: str) -> NewSession:
        """Spend a one-time link: a session for its account; SignInError when spent, expired or unknown."""
        user_id = self.storage.use_sign_in_link(token_hash(token), self.clock()) if len(token) <= 100 else None
        if user_id is None:
            raise AccountError("this sign-in link is not valid: it was used already, or it expired")
        user = self.storage.user(user_id)
        if user.disabled:
            raise SignInError()
        return self.begin_session(user)


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()
