"""Signed cookies and form tokens, with their keys and signatures computed once.

Flask builds a new serializer for the session cookie on every request, and itsdangerous
derives the signing key again (an HMAC) for every signature it makes or checks; Flask-WTF
signs the session's form token afresh on every page that shows a form. The results depend
only on the secret and the values signed, so each is computed once per process here:

- `SessionInterface` is Flask's signed-cookie session, its serializer kept per secret and
  its derived keys kept per secret and salt. Cookies are byte for byte what Flask makes.
- `csrf_token()` is Flask-WTF's `generate_csrf`, its signed token kept per session token.
  Tokens carry no time limit here (WTF_CSRF_TIME_LIMIT is None), so a token signed earlier
  is as good as one signed now; it is checked by Flask-WTF as before.
"""

from __future__ import annotations

from functools import lru_cache

from flask import Flask, current_app, g, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import generate_csrf
from itsdangerous import TimestampSigner, URLSafeTimedSerializer, want_bytes

#: Signed form tokens kept per process; a worker seldom sees this many live sessions, and
#: past it the oldest half is forgotten (and signed again when next needed).
MAX_SIGNED_TOKENS = 20_000


@lru_cache(maxsize=64)
def _derived_key(secret_key: bytes, salt: bytes, key_derivation: str, digest_method) -> bytes:
    return TimestampSigner(secret_key, salt=salt, key_derivation=key_derivation,
                           digest_method=digest_method).derive_key()


class KeyCachingSigner(TimestampSigner):
    """itsdangerous's timestamp signer, deriving each (secret, salt) key once per process."""

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        secret = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        return _derived_key(secret, self.salt, self.key_derivation, self.digest_method)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, its serializer built once per secret."""

    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        serializer = self._serializers.get(keys)
        if serializer is None:
            # As Flask's own, current key last, with a signer that keeps derived keys.
            serializer = self._serializers[keys] = URLSafeTimedSerializer(
                list(keys), salt=self.salt, serializer=self.serializer,
                signer=KeyCachingSigner,
                signer_kwargs={"key_derivation": self.key_derivation,
                               "digest_method": self.digest_method})
        return serializer


def csrf_token() -> str:
    """This session's signed form token, as Flask-WTF's `generate_csrf()` gives it."""
    config = current_app.config
    if config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return generate_csrf()  # the token's age counts: sign it now
    field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if field in g:
        return g.get(field)
    signed_tokens = current_app.extensions["ecampus.signed_csrf"]
    key = (config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key,
           session.get(field))
    signed = signed_tokens.get(key) if key[1] else None
    if signed is None:
        signed = generate_csrf()  # makes the session's token if it has none yet
        if len(signed_tokens) >= MAX_SIGNED_TOKENS:
            for old in list(signed_tokens)[:MAX_SIGNED_TOKENS // 2]:
                signed_tokens.pop(old, None)
        signed_tokens[(key[0], session[field])] = signed
    else:
        setattr(g, field, signed)  # where generate_csrf looks, for forms drawn after
    return signed


def init_signing(app: Flask) -> None:
    """Use the cached session serializer and form tokens (see the module's docstring)."""
    app.session_interface = SessionInterface()
    app.extensions["ecampus.signed_csrf"] = {}
    app.jinja_env.globals["csrf_token"] = csrf_token
