"""Client addresses as keyed digests: a login can be matched with the earlier logins
from the same address, while the database holds no address itself."""

from __future__ import annotations

import hashlib
import hmac


class AddressKeys:
    def __init__(self, secret: str) -> None:
        # Derived, so that the digests say nothing of the token signing key.
        self._key = hashlib.sha256(b"known-address\x00" + secret.encode()).digest()

    def __call__(self, address: str) -> str:
        return hmac.new(self._key, address.encode(), hashlib.sha256).hexdigest()[:32]
