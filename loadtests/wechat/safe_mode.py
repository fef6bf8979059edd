"""WeChat's safe mode (安全模式): AES-256-CBC envelopes around the plain callback XML.

The scheme, from the platform documentation: the key is the 43-character EncodingAESKey
base64-decoded to 32 bytes, the IV its first 16 bytes; the plaintext is 16 random bytes, the
message length (4 bytes, network order), the message and the AppId, padded PKCS#7 to a multiple
of 32 bytes (not AES's 16: WeChat's choice); `msg_signature` is the plain-mode signature with
the ciphertext added to the sorted parts. The cipher and the padding come from `cryptography`,
never our own.

Both sides use it: the back end unwraps callbacks and wraps replies; the replay encrypts what it
sends (with a prefix derived from the MsgId, so a run renders the same bytes every time) and
decrypts the replies it checks.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import struct

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from loadtests.wechat.callbacks import cdata, sign
from loadtests.wechat.protocol import ProtocolError, parse_fields

__all__ = ["SafeMode", "aes_key_bytes"]

_PAD_BITS = 256  # WeChat pads to 32-byte blocks


class SafeMode:
    """Encrypts and decrypts callback bodies for one account (token, EncodingAESKey, AppId)."""

    def __init__(self, token: str, encoding_aes_key: str, app_id: str) -> None:
        key = aes_key_bytes(encoding_aes_key)
        if key is None:
            raise ValueError("EncodingAESKey must be 43 base64 characters (32 bytes)")
        self._token = token
        self._app_id = app_id.encode()
        self._cipher = Cipher(algorithms.AES(key), modes.CBC(key[:16]))

    def encrypt(self, xml: bytes, prefix: bytes | None = None) -> str:
        """Base64 ciphertext of one message; its 16-byte prefix is fresh random unless given."""
        head = os.urandom(16) if prefix is None else prefix[:16]
        plain = head + struct.pack(">I", len(xml)) + xml + self._app_id
        padder = padding.PKCS7(_PAD_BITS).padder()
        padded = padder.update(plain) + padder.finalize()
        enc = self._cipher.encryptor()
        return base64.b64encode(enc.update(padded) + enc.finalize()).decode()

    def decrypt(self, encrypted: str) -> bytes:
        """The message inside a ciphertext; 400 if it does not decrypt to one for our AppId."""
        try:
            raw = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError):  # ValueError: a non-ASCII character
            raise ProtocolError(400, "Encrypt is not base64", "bad_encrypt") from None
        if not raw or len(raw) % 16:
            raise ProtocolError(400, "Encrypt is not a whole number of AES blocks", "bad_encrypt")
        dec = self._cipher.decryptor()
        unpadder = padding.PKCS7(_PAD_BITS).unpadder()
        try:
            plain = unpadder.update(dec.update(raw) + dec.finalize()) + unpadder.finalize()
        except ValueError:
            raise ProtocolError(
                400, "Encrypt has bad padding (wrong EncodingAESKey?)", "bad_encrypt"
            ) from None
        if len(plain) < 20:
            raise ProtocolError(400, "Encrypt is too short", "bad_encrypt")
        (length,) = struct.unpack(">I", plain[16:20])
        xml, app_id = plain[20 : 20 + length], plain[20 + length :]
        if len(xml) != length or app_id != self._app_id:
            raise ProtocolError(400, "Encrypt is for another AppId", "wrong_app_id")
        return xml

    def unwrap(self, body: bytes, timestamp: str, nonce: str, msg_signature: str) -> bytes:
        """The plain XML inside an encrypted callback, after checking `msg_signature`."""
        encrypted = parse_fields(body).get("Encrypt", "")
        if not encrypted:
            raise ProtocolError(400, "encrypt_type=aes but no Encrypt element", "no_encrypt")
        expected = sign(self._token, timestamp, nonce, encrypted)
        if not hmac.compare_digest(expected, msg_signature):
            raise ProtocolError(403, "bad msg_signature", "bad_signature")
        return self.decrypt(encrypted)

    def wrap(self, reply_xml: str, timestamp: str, nonce: str) -> str:
        """An encrypted passive reply, signed for the platform to check."""
        encrypted = self.encrypt(reply_xml.encode())
        signature = sign(self._token, timestamp, nonce, encrypted)
        return (
            f"<xml><Encrypt>{cdata(encrypted)}</Encrypt>"
            f"<MsgSignature>{cdata(signature)}</MsgSignature>"
            f"<TimeStamp>{timestamp}</TimeStamp><Nonce>{cdata(nonce)}</Nonce></xml>"
        )


def aes_key_bytes(key: str) -> bytes | None:
    """The 32-byte AES key of an EncodingAESKey, or None if it is not one."""
    if len(key) != 43:
        return None
    try:
        raw = base64.b64decode(key + "=", validate=True)
    except binascii.Error:
        return None
    return raw if len(raw) == 32 else None
