"""Passkeys (``people/passkeys.py``, ``store/passkeys.py``) through the facade on SQLite and PostgreSQL,
answered by a software authenticator made here (P-256 keys, "none" attestation, as a platform
authenticator answers): adding a passkey, signing in with one with or without a name, and everything
that must be refused — a spent, expired or foreign challenge, another site's origin, an unknown or
another account's passkey, a replayed or cloned answer (the sign count), a disabled account."""

from __future__ import annotations

import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from newsdesk.core import Newsdesk, make_newsdesk
from newsdesk.errors import PasskeyError
from newsdesk.model import Role
from newsdesk.people.passkeys import checked_passkey_name
from newsdesk.store import SqlStorage
from newsdesk.store.schema import passkeys, webauthn_challenges
from tests.conftest import test_settings

PASSWORD = "correct horse battery staple"
ORIGIN = "http://localhost:8123"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class SoftKey:
    """One credential of a software authenticator: its private key, id, user handle and counter."""

    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(16))
    user_handle: bytes = b""
    count: int = 0


class SoftAuthenticator:
    """Answers ``navigator.credentials`` options as an authenticator would (for the tests, no browser)."""

    def __init__(self, origin: str = ORIGIN, *, counting: bool = True) -> None:
        self.origin = origin
        self.counting = counting
        self.keys: list[SoftKey] = []

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        data = {"type": kind, "challenge": challenge, "origin": origin or self.origin, "crossOrigin": False}
        return json.dumps(data).encode()

    def _auth_data(self, rp_id: str, flags: int, count: int, attested: bytes = b"") -> bytes:
        return hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", count) + attested

    def create(self, options_json: str, *, origin: str | None = None) -> dict[str, Any]:
        options = json.loads(options_json)
        soft = SoftKey(user_handle=base64url_to_bytes(options["user"]["id"]))
        numbers = soft.key.public_key().public_numbers()
        cose = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})
        attested = bytes(16) + struct.pack(">H", len(soft.credential_id)) + soft.credential_id + cose
        auth_data = self._auth_data(options["rp"]["id"], 0x45, 0, attested)  # UP, UV, attested data
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        self.keys.append(soft)
        raw_id = bytes_to_base64url(soft.credential_id)
        return {
            "id": raw_id,
            "rawId": raw_id,
            "type": "public-key",
            "response": {
                "clientDataJSON": bytes_to_base64url(
                    self._client_data("webauthn.create", options["challenge"], origin)
                ),
                "attestationObject": bytes_to_base64url(attestation),
                "transports": ["internal"],
            },
        }

    def get(
        self, options_json: str, *, key: SoftKey | None = None, origin: str | None = None, count: int | None = None
    ) -> dict[str, Any]:
        options = json.loads(options_json)
        allowed = {base64url_to_bytes(c["id"]) for c in options.get("allowCredentials", [])}
        soft = key or next(k for k in self.keys if not allowed or k.credential_id in allowed)
        if self.counting:
            soft.count += 1
        auth_data = self._auth_data(options["rpId"], 0x05, soft.count if count is None else count)
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signature = soft.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        raw_id = bytes_to_base64url(soft.credential_id)
        return {
            "id": raw_id,
            "rawId": raw_id,
            "type": "public-key",
            "response": {
                "clientDataJSON": bytes_to_base64url(client_data),
                "authenticatorData": bytes_to_base64url(auth_data),
                "signature": bytes_to_base64url(signature),
                "userHandle": bytes_to_base64url(soft.user_handle),
            },
        }


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def desk(storage: SqlStorage, tmp_path: Path, clock: Clock) -> Newsdesk:
    settings = test_settings(tmp_path, db=storage.url, site_url=ORIGIN + "/")
    return make_newsdesk(settings, clock, storage=storage)


class _Raises:
    """``with _Raises("refused"):`` the block raises PasskeyError with this code."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> bool:
        assert isinstance(exc, PasskeyError), f"expected PasskeyError({self.code!r}), got {exc!r}"
        assert exc.code == self.code, exc
        return True


def _register(desk: Newsdesk, auth: SoftAuthenticator, name: str = "ann", label: str = "") -> Any:
    user = desk.user(name)
    ceremony = desk.passkey_registration_options(user)
    return desk.add_passkey(user, ceremony.token, auth.create(ceremony.options_json), label)


def test_a_passkey_is_added_then_signs_in_without_a_name(desk: Newsdesk, storage: SqlStorage, clock: Clock) -> None:
    ann = desk.create_user("ann", PASSWORD)
    auth = SoftAuthenticator()
    ceremony = desk.passkey_registration_options(ann)
    options = json.loads(ceremony.options_json)
    assert options["rp"] == {"id": "localhost", "name": "newsdesk"}
    assert options["user"]["name"] == "ann" and base64url_to_bytes(options["user"]["id"]) != str(ann.id).encode()
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    added = desk.add_passkey(ann, ceremony.token, auth.create(ceremony.options_json), "  My\u0000 phone\n ")
    assert added.name == "My phone" and added.last_used_at is None and added.created_at == clock.now
    assert [p.name for p in desk.passkeys(ann.id)] == ["My phone"]

    clock.now += timedelta(minutes=1)
    sign_in = desk.passkey_sign_in_options()
    assert json.loads(sign_in.options_json)["userVerification"] == "required"
    new = desk.sign_in_with_passkey(sign_in.token, auth.get(sign_in.options_json))
    assert new.signed_in.user.id == ann.id and desk.signed_in(new.token) is not None
    assert desk.passkeys(ann.id)[0].last_used_at == clock.now
    with storage.engine.connect() as conn:
        assert conn.execute(select(passkeys.c.sign_count)).scalar_one() == 1
        # both challenges were spent
        assert conn.execute(select(func.count()).select_from(webauthn_challenges)).scalar_one() == 0


def test_a_second_passkey_keeps_the_accounts_user_handle_and_the_first_is_excluded(desk: Newsdesk) -> None:
    desk.create_user("ann", PASSWORD)
    auth = SoftAuthenticator()
    _register(desk, auth, label="Phone")
    ceremony = desk.passkey_registration_options(desk.user("ann"))
    options = json.loads(ceremony.options_json)
    assert base64url_to_bytes(options["user"]["id"]) == auth.keys[0].user_handle
    assert [c["id"] for c in options["excludeCredentials"]] == [bytes_to_base64url(auth.keys[0].credential_id)]
    second = desk.add_passkey(desk.user("ann"), ceremony.token, auth.create(ceremony.options_json), "")
    assert second.name == "Passkey 2"
    assert [p.name for p in desk.passkeys(desk.user("ann").id)] == ["Phone", "Passkey 2"]


def test_with_a_name_typed_only_that_accounts_passkeys_sign_in(desk: Newsdesk) -> None:
    desk.create_user("ann", PASSWORD)
    desk.create_user("bob", PASSWORD)
    ann_key, bob_key = SoftAuthenticator(), SoftAuthenticator()
    _register(desk, ann_key, "ann")
    _register(desk, bob_key, "bob")
    named = desk.passkey_sign_in_options("ANN")
    shapes = [json.loads(desk.passkey_sign_in_options(n).options_json) for n in ("ann", "nobody", "")]
    assert all(not s.get("allowCredentials") for s in shapes)  # which names exist is nobody's business
    assert len({tuple(sorted(s)) for s in shapes}) == 1
    with _Raises("refused"):  # bob's passkey answering a challenge made for ann
        desk.sign_in_with_passkey(named.token, bob_key.get(named.options_json, key=bob_key.keys[0]))
    named = desk.passkey_sign_in_options("ann")
    assert desk.sign_in_with_passkey(named.token, ann_key.get(named.options_json)).signed_in.user.name == "ann"
    unknown = desk.passkey_sign_in_options("nobody")
    with _Raises("refused"):  # an unknown name: no passkey answers its challenge
        desk.sign_in_with_passkey(unknown.token, ann_key.get(unknown.options_json, key=ann_key.keys[0]))


def test_challenges_are_single_use_short_lived_and_bound_to_their_ceremony(desk: Newsdesk, clock: Clock) -> None:
    ann = desk.create_user("ann", PASSWORD)
    bob = desk.create_user("bob", PASSWORD)
    auth = SoftAuthenticator()
    _register(desk, auth)

    ceremony = desk.passkey_sign_in_options()
    answer = auth.get(ceremony.options_json)
    desk.sign_in_with_passkey(ceremony.token, answer)
    with _Raises("expired"):  # the same answer again: its challenge is spent
        desk.sign_in_with_passkey(ceremony.token, answer)

    other = desk.passkey_sign_in_options()
    with _Raises("refused"):  # a replayed answer (to the first challenge) under a live challenge
        desk.sign_in_with_passkey(other.token, answer)
    with _Raises("expired"):  # …which a failed try spends too
        desk.sign_in_with_passkey(other.token, auth.get(other.options_json))

    late = desk.passkey_sign_in_options()
    clock.now += timedelta(minutes=6)
    with _Raises("expired"):
        desk.sign_in_with_passkey(late.token, auth.get(late.options_json))
    with _Raises("expired"):
        desk.sign_in_with_passkey("made-up", auth.get(late.options_json))

    register = desk.passkey_registration_options(ann)
    with _Raises("expired"):  # a registration challenge cannot sign in…
        as_sign_in = json.dumps({"rpId": "localhost", "challenge": json.loads(register.options_json)["challenge"]})
        desk.sign_in_with_passkey(register.token, auth.get(as_sign_in))
    register = desk.passkey_registration_options(ann)
    with _Raises("expired"):  # …nor add a passkey to another account
        desk.add_passkey(bob, register.token, SoftAuthenticator().create(register.options_json))


def test_another_sites_origin_a_forged_signature_and_an_unknown_passkey_are_refused(desk: Newsdesk) -> None:
    ann = desk.create_user("ann", PASSWORD)
    auth = SoftAuthenticator()
    ceremony = desk.passkey_registration_options(ann)
    with _Raises("refused"):
        desk.add_passkey(ann, ceremony.token, auth.create(ceremony.options_json, origin="http://evil.example"))
    assert desk.passkeys(ann.id) == []
    _register(desk, auth)

    ceremony = desk.passkey_sign_in_options()
    with _Raises("refused"):
        desk.sign_in_with_passkey(ceremony.token, auth.get(ceremony.options_json, origin="http://localhost:9999"))
    ceremony = desk.passkey_sign_in_options()
    forged = auth.get(ceremony.options_json)
    forged["response"]["signature"] = bytes_to_base64url(b"\x30\x06\x02\x01\x01\x02\x01\x01")
    with _Raises("refused"):
        desk.sign_in_with_passkey(ceremony.token, forged)
    stranger = SoftAuthenticator()
    stranger.keys.append(SoftKey(user_handle=auth.keys[0].user_handle))
    ceremony = desk.passkey_sign_in_options()
    with _Raises("refused"):  # a credential this site never registered
        desk.sign_in_with_passkey(ceremony.token, stranger.get(ceremony.options_json))
    ceremony = desk.passkey_sign_in_options()
    with _Raises("refused"):  # not even a credential
        desk.sign_in_with_passkey(ceremony.token, {"id": 3, "response": "x"})


def test_a_sign_count_that_does_not_grow_is_refused(desk: Newsdesk, caplog: pytest.LogCaptureFixture) -> None:
    desk.create_user("ann", PASSWORD)
    auth = SoftAuthenticator()
    _register(desk, auth)
    for _ in range(2):
        ceremony = desk.passkey_sign_in_options()
        desk.sign_in_with_passkey(ceremony.token, auth.get(ceremony.options_json))
    ceremony = desk.passkey_sign_in_options()
    with _Raises("refused"):  # a clone still at count 1
        desk.sign_in_with_passkey(ceremony.token, auth.get(ceremony.options_json, count=1))
    assert "passkey.count_regressed" in caplog.text


def test_synced_passkeys_without_a_counter_sign_in_every_time(desk: Newsdesk) -> None:
    desk.create_user("ann", PASSWORD)
    auth = SoftAuthenticator(counting=False)
    _register(desk, auth)
    for _ in range(2):
        ceremony = desk.passkey_sign_in_options()
        assert desk.sign_in_with_passkey(ceremony.token, auth.get(ceremony.options_json)).signed_in.user.name == "ann"


def test_a_disabled_account_cannot_sign_in_with_its_passkey(desk: Newsdesk) -> None:
    desk.create_user("ann", PASSWORD)
    auth = SoftAuthenticator()
    _register(desk, auth)
    desk.set_user_disabled("ann")
    ceremony = desk.passkey_sign_in_options()
    with _Raises("refused"):
        desk.sign_in_with_passkey(ceremony.token, auth.get(ceremony.options_json))
    desk.set_user_disabled("ann", False)
    ceremony = desk.passkey_sign_in_options()
    assert desk.sign_in_with_passkey(ceremony.token, auth.get(ceremony.options_json)).signed_in.user.name == "ann"


def test_a_reader_removes_only_their_own_passkeys(desk: Newsdesk) -> None:
    ann = desk.create_user("ann", PASSWORD, Role.ADMIN)
    bob = desk.create_user("bob", PASSWORD)
    _register(desk, SoftAuthenticator(), "ann")
    bob_auth = SoftAuthenticator()
    bobs = _register(desk, bob_auth, "bob")
    assert not desk.remove_passkey(ann.id, bobs.id)
    assert [p.id for p in desk.passkeys(bob.id)] == [bobs.id]
    assert desk.remove_passkey(bob.id, bobs.id)
    assert desk.passkeys(bob.id) == []
    ceremony = desk.passkey_sign_in_options()
    with _Raises("refused"):  # a removed passkey signs nobody in
        desk.sign_in_with_passkey(ceremony.token, bob_auth.get(ceremony.options_json))


def test_the_last_passkey_of_an_account_without_a_password_stays(desk: Newsdesk) -> None:
    cat = desk.create_user("cat", None)
    auth = SoftAuthenticator()
    first = _register(desk, auth, "cat")
    with _Raises("last"):
        desk.remove_passkey(cat.id, first.id)
    second = _register(desk, auth, "cat")
    assert desk.remove_passkey(cat.id, first.id)
    assert [p.id for p in desk.passkeys(cat.id)] == [second.id]


def test_the_same_credential_twice_is_refused(desk: Newsdesk) -> None:
    ann = desk.create_user("ann", PASSWORD)
    auth = SoftAuthenticator()
    first = desk.passkey_registration_options(ann)
    answer = auth.create(first.options_json)
    desk.add_passkey(ann, first.token, answer)
    again = desk.passkey_registration_options(ann)
    options = json.loads(again.options_json)
    replay = json.loads(json.dumps(answer))
    client = json.loads(base64url_to_bytes(replay["response"]["clientDataJSON"]))
    client["challenge"] = options["challenge"]
    replay["response"]["clientDataJSON"] = bytes_to_base64url(json.dumps(client).encode())
    with _Raises("duplicate"):
        desk.add_passkey(ann, again.token, replay)


def test_no_passkeys_on_a_site_at_an_ip_address(storage: SqlStorage, tmp_path: Path) -> None:
    desk = make_newsdesk(test_settings(tmp_path, db=storage.url, host="127.0.0.1"), storage=storage)
    assert not desk.passkeys_available
    with _Raises("unavailable"):
        desk.passkey_sign_in_options()


def test_passkey_names_are_cleaned_and_bounded() -> None:
    assert checked_passkey_name("\u202eevil\u202c  key", "x") == "evil key"
    assert checked_passkey_name("   ", "Passkey 1") == "Passkey 1"
    assert len(checked_passkey_name("a" * 500, "x")) == 60


def test_one_address_may_begin_only_so_many_passkey_sign_ins(desk: Newsdesk, clock: Clock) -> None:
    """Each begun sign-in keeps a challenge for minutes: past ten per allowed failed sign-in in the window, an
    address is refused (``limited``) while others are not; after the window it may begin again."""
    from newsdesk.people.passkeys import CHALLENGES_PER_ATTEMPT

    allowed = CHALLENGES_PER_ATTEMPT * desk.settings.sign_in_attempts
    for _ in range(allowed):
        desk.passkey_sign_in_options(None, "198.51.100.7")
    with pytest.raises(PasskeyError) as refused:
        desk.passkey_sign_in_options(None, "198.51.100.7")
    assert refused.value.code == "limited"
    desk.passkey_sign_in_options(None, "198.51.100.8")  # another address is not held back
    clock.now += timedelta(seconds=desk.settings.sign_in_window_s + 1)
    desk.passkey_sign_in_options(None, "198.51.100.7")
