"""Passkeys (WebAuthn) besides passwords: adding one to an account, and signing in with one.

- **The ceremonies** are py_webauthn's: the options the browser's ``navigator.credentials.create`` /
  ``get`` take, and the verification of what the authenticator answered (origin, relying-party id,
  challenge, signature, user presence and verification). Passkeys are discoverable credentials
  (``residentKey: required``) with user verification required, so a passkey alone signs in — with no
  name typed (the authenticator offers this site's accounts), or with a name (then only that account's
  passkeys are accepted). The options never list an account's credentials (``allowCredentials``): every
  passkey is discoverable, so the list would help no authenticator and would tell anyone which names
  exist and have passkeys; the options for any name, known or not, look alike.
- **The relying party** is the site's public address (``Settings.public_url``): its host name is the
  relying-party id, its scheme, host and port the one origin accepted. WebAuthn takes domain names only,
  never IP addresses: a site served at ``http://127.0.0.1:8000`` has no passkeys (``http://localhost:8000``
  works, as localhost is a secure context).
- **Challenges** are random, kept server-side (in the database, so every process serving the site knows
  them), keyed by the hash of a token the browser holds, single use (spent by the first answer, good or
  bad) and valid :data:`CHALLENGE_LIFETIME`. A challenge the browser returns is never trusted alone.
- **The sign count**: when the authenticator keeps a counter, it must grow at every sign-in; one that
  does not (a cloned key answering with an old count) is refused and logged (``passkey.count_regressed``),
  as py_webauthn and the WebAuthn spec (§6.1.1) recommend. Passkeys synced between devices report 0
  always, which is accepted.
- **One answer** for every refused sign-in (an unknown passkey, a bad signature, a disabled account).
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import secrets
import unicodedata
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_authentication_credential_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from newsdesk.config import Settings
from newsdesk.errors import PasskeyError
from newsdesk.model import MAX_PASSKEY_NAME_CHARS, Clock, NewSession, Passkey, PasskeyCeremony, User
from newsdesk.people.accounts import Accounts, name_key
from newsdesk.store import Storage
from newsdesk.store.port import NewPasskey, StoredChallenge, StoredPasskey

log = logging.getLogger(__name__)

CHALLENGE_LIFETIME = timedelta(minutes=5)
"""How long a ceremony may take, from the options to the answer (the browser is told a bit less)."""
MAX_PASSKEYS = 20
CHALLENGES_PER_ATTEMPT = 10  # passkey sign-ins one address may begin per failed password sign-in it is allowed
"""Passkeys one account may have: enough for every device, bounded like every list a reader grows."""
MAX_CREDENTIAL_ID_BYTES = 1023
"""The WebAuthn limit on a credential id (Level 3, §5.8.3)."""
RP_NAME = "newsdesk"
_TRANSPORTS = {t.value for t in AuthenticatorTransport}
_REFUSED = "this passkey was not accepted"


def checked_passkey_name(name: str, fallback: str) -> str:
    """A passkey's label as shown: NFKC, without control characters, trimmed and bounded; ``fallback`` if empty."""
    name = unicodedata.normalize("NFKC", name)
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    return " ".join(name.split())[:MAX_PASSKEY_NAME_CHARS].strip() or fallback


class Passkeys:
    """The passkey ceremonies over the storage (the facade builds one; see the module docstring)."""

    def __init__(self, storage: Storage, clock: Clock, settings: Settings, accounts: Accounts) -> None:
        self.storage = storage
        self.clock = clock
        self.settings = settings
        self.accounts = accounts

    # -- the relying party ---------------------------------------------------------------------

    @property
    def origin(self) -> str:
        parts = urlsplit(self.settings.public_url)
        return f"{parts.scheme}://{parts.netloc}".lower()

    @property
    def rp_id(self) -> str | None:
        """The relying-party id (the site's host name), or None when the site has no domain name."""
        host = (urlsplit(self.settings.public_url).hostname or "").lower()
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return host or None
        return None

    def _checked_rp_id(self) -> str:
        rp_id = self.rp_id
        if rp_id is None:
            raise PasskeyError("unavailable", "passkeys need the site to have a domain name: set site_url")
        return rp_id

    # -- adding a passkey ----------------------------------------------------------------------

    def registration_options(self, user: User) -> PasskeyCeremony:
        """Begin adding a passkey to ``user``'s account (signed in): the options for ``credentials.create``."""
        rp_id = self._checked_rp_id()
        existing = self.storage.passkeys(user.id)
        if len(existing) >= MAX_PASSKEYS:
            raise PasskeyError("too_many", f"an account has at most {MAX_PASSKEYS} passkeys")
        handle = existing[0].user_handle if existing else bytes_to_base64url(secrets.token_bytes(32))
        challenge = secrets.token_bytes(32)
        options = generate_registration_options(
            rp_id=rp_id,
            rp_name=RP_NAME,
            user_name=user.name,
            user_id=base64url_to_bytes(handle),
            challenge=challenge,
            timeout=int(CHALLENGE_LIFETIME.total_seconds() * 1000) - 30_000,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED,
                user_verification=UserVerificationRequirement.REQUIRED,
            ),
            exclude_credentials=[_descriptor(p) for p in existing],
        )
        token = self._keep_challenge("register", challenge, user.id, handle)
        return PasskeyCeremony(token, options_to_json(options))

    def register(self, user: User, token: str, credential: dict[str, Any], name: str = "") -> Passkey:
        """Finish adding a passkey: verify the authenticator's answer to the challenge of ``token``."""
        rp_id = self._checked_rp_id()
        challenge = self._spend_challenge(token)
        if challenge.purpose != "register" or challenge.user_id != user.id:
            raise PasskeyError("expired", "this request to add a passkey is not valid any more: try again")
        try:
            parsed = parse_registration_credential_json(credential)
            verified = verify_registration_response(
                credential=parsed,
                expected_challenge=base64url_to_bytes(challenge.challenge),
                expected_rp_id=rp_id,
                expected_origin=self.origin,
                require_user_verification=True,
            )
        except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
            log.info("passkey.register_refused user=%d reason=%r", user.id, str(exc)[:200])
            raise PasskeyError("refused", _REFUSED) from exc
        if len(verified.credential_id) > MAX_CREDENTIAL_ID_BYTES:
            raise PasskeyError("refused", _REFUSED)
        existing = self.storage.passkeys(user.id)
        if len(existing) >= MAX_PASSKEYS:
            raise PasskeyError("too_many", f"an account has at most {MAX_PASSKEYS} passkeys")
        handle = existing[0].user_handle if existing else challenge.user_handle
        if handle is None:
            raise PasskeyError("expired", "this request to add a passkey is not valid any more: try again")
        transports = tuple(t.value for t in parsed.response.transports or () if t.value in _TRANSPORTS)
        passkey = self.storage.add_passkey(
            NewPasskey(
                user_id=user.id,
                credential_id=bytes_to_base64url(verified.credential_id),
                user_handle=handle,
                public_key=verified.credential_public_key,
                sign_count=verified.sign_count,
                transports=transports[:6],
                name=checked_passkey_name(name, f"Passkey {len(existing) + 1}"),
            ),
            self.clock(),
        )
        log.info("passkey.added user=%d passkey=%d", user.id, passkey.id)
        return passkey

    def of(self, user_id: int) -> list[Passkey]:
        return [p.passkey for p in self.storage.passkeys(user_id)]

    def remove(self, user_id: int, passkey_id: int) -> bool:
        """Remove one of the reader's passkeys; never the last of an account without a password (its only
        way in but a link from the operator): PasskeyError ``last``."""
        kept = self.storage.passkeys(user_id)
        if [p.passkey.id for p in kept] == [passkey_id] and not self.storage.user(user_id).has_password:
            raise PasskeyError("last", "an account without a password keeps at least one passkey")
        removed = self.storage.remove_passkey(user_id, passkey_id)
        if removed:
            log.info("passkey.removed user=%d passkey=%d", user_id, passkey_id)
        return removed

    # -- signing in ----------------------------------------------------------------------------

    def sign_in_options(self, name: str | None = None, address: str = "") -> PasskeyCeremony:
        """Begin signing in: any passkey of this site (no name), or only the named account's (the options
        alike either way: see the module docstring). Each begun sign-in keeps a challenge row for minutes:
        one address may begin ``CHALLENGES_PER_ATTEMPT`` times the failed sign-ins it is allowed in the same
        window, and is then refused (``limited``) until the window has passed, so nobody fills the table."""
        rp_id = self._checked_rp_id()
        if address:
            key = f"challenge:{address[:100]}"
            now = self.clock()
            since = now - timedelta(seconds=self.settings.sign_in_window_s)
            if self.storage.sign_in_failures(key, since) >= CHALLENGES_PER_ATTEMPT * self.settings.sign_in_attempts:
                log.warning("passkey.sign_in_limited address=%s", address)
                raise PasskeyError("limited", "too many passkey sign-ins begun from this address lately")
            self.storage.record_sign_in_failure((key,), now)
        purpose, user_id = "sign-in", None
        if name and name.strip():
            purpose = "sign-in-named"  # an unknown name: a challenge no passkey can answer
            stored = self.storage.stored_user(name_key(name.strip())[:80])
            user_id = None if stored is None else stored.user.id
        challenge = secrets.token_bytes(32)
        options = generate_authentication_options(
            rp_id=rp_id,
            challenge=challenge,
            timeout=int(CHALLENGE_LIFETIME.total_seconds() * 1000) - 30_000,
            user_verification=UserVerificationRequirement.REQUIRED,
        )
        token = self._keep_challenge(purpose, challenge, user_id)
        return PasskeyCeremony(token, options_to_json(options))

    def sign_in(self, token: str, credential: dict[str, Any]) -> NewSession:
        """Finish signing in: a new session for the account whose passkey answered the challenge."""
        rp_id = self._checked_rp_id()
        challenge = self._spend_challenge(token)
        if challenge.purpose not in ("sign-in", "sign-in-named"):
            raise PasskeyError("expired", "this sign-in is not valid any more: try again")
        try:
            parsed = parse_authentication_credential_json(credential)
        except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
            raise PasskeyError("refused", _REFUSED) from exc
        stored = self.storage.passkey_by_credential(bytes_to_base64url(parsed.raw_id))
        if stored is None or (challenge.purpose == "sign-in-named" and stored.user_id != challenge.user_id):
            log.info("passkey.sign_in_refused reason=unknown")
            raise PasskeyError("refused", _REFUSED)
        handle = parsed.response.user_handle
        if handle is not None and bytes_to_base64url(handle) != stored.user_handle:
            log.info("passkey.sign_in_refused passkey=%d reason=user_handle", stored.passkey.id)
            raise PasskeyError("refused", _REFUSED)
        try:
            verified = verify_authentication_response(
                credential=parsed,
                expected_challenge=base64url_to_bytes(challenge.challenge),
                expected_rp_id=rp_id,
                expected_origin=self.origin,
                credential_public_key=stored.public_key,
                credential_current_sign_count=stored.sign_count,
                require_user_verification=True,
            )
        except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
            event = "count_regressed" if "sign count" in str(exc).lower() else "sign_in_refused"
            level = logging.WARNING if event == "count_regressed" else logging.INFO
            log.log(level, "passkey.%s passkey=%d reason=%r", event, stored.passkey.id, str(exc)[:200])
            raise PasskeyError("refused", _REFUSED) from exc
        user = self.storage.user(stored.user_id)
        if user.disabled:
            log.info("passkey.sign_in_refused passkey=%d reason=disabled", stored.passkey.id)
            raise PasskeyError("refused", _REFUSED)
        self.storage.passkey_used(stored.passkey.id, verified.new_sign_count, self.clock())
        return self.accounts.begin_session(user)

    # -- challenges ----------------------------------------------------------------------------

    def _keep_challenge(self, purpose: str, challenge: bytes, user_id: int | None, handle: str | None = None) -> str:
        token = secrets.token_urlsafe(32)
        now = self.clock()
        expires = now + CHALLENGE_LIFETIME
        kept = StoredChallenge(_hash(token), purpose, bytes_to_base64url(challenge), user_id, handle, expires)
        self.storage.add_challenge(kept, now)
        return token

    def _spend_challenge(self, token: str) -> StoredChallenge:
        found = self.storage.spend_challenge(_hash(token), self.clock()) if token and len(token) <= 100 else None
        if found is None:
            raise PasskeyError("expired", "this request took too long or was used already: try again")
        return found


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _descriptor(passkey: StoredPasskey) -> PublicKeyCredentialDescriptor:
    transports = [AuthenticatorTransport(t) for t in passkey.transports if t in _TRANSPORTS]
    return PublicKeyCredentialDescriptor(id=base64url_to_bytes(passkey.credential_id), transports=transports or None)
