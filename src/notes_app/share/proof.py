"""How a share server proves it is the one that issued a token, without the token being sent.

The server keeps each token only as its SHA-256 hash. Before the desktop sends a snapshot or
the token over plain HTTP, it asks ``GET /api/hello?key=KEY_ID&challenge=NONCE``: ``KEY_ID``
names the token (a hash of its hash, so it gives nothing away) and the server answers with an
HMAC of the fresh nonce keyed by the token's hash. Only a server holding that hash can answer,
so a program that took over the port after the real server stopped learns nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

PROOF_LABEL = b"notes-app share server proof\n"  # a proof is good for nothing else
KEY_ID_CHARS = 32
CHALLENGE_BYTES = 24


def hash_token(token: str) -> str:
    """What the server stores for a token (hex SHA-256)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def key_id_of_hash(token_hash: str) -> str:
    """The public name of a token: lets the server find its hash, reveals nothing about it."""
    return hashlib.sha256(b"notes-app key id\n" + token_hash.encode()).hexdigest()[:KEY_ID_CHARS]


def key_id(token: str) -> str:
    return key_id_of_hash(hash_token(token))


def new_challenge() -> str:
    return secrets.token_urlsafe(CHALLENGE_BYTES)


def proof(token_hash: str, challenge: str) -> str:
    """The server's answer to ``challenge``."""
    mac = hmac.new(token_hash.encode(), PROOF_LABEL + challenge.encode(), hashlib.sha256)
    return mac.hexdigest()


def proof_is_right(token: str, challenge: str, answer: object) -> bool:
    return isinstance(answer, str) and hmac.compare_digest(
        proof(hash_token(token), challenge), answer
    )
