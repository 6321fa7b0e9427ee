"""Envelope for secrets kept server-side (task tokens): KMS with an encryption context."""

from __future__ import annotations

import base64
from typing import Any

from . import clients


def encrypt(key_id: str, plaintext: str, context: dict[str, str], kms: Any = None) -> str:
    kms = kms or clients.client("kms")
    blob = kms.encrypt(KeyId=key_id, Plaintext=plaintext.encode(), EncryptionContext=context)
    return base64.b64encode(blob["CiphertextBlob"]).decode()


def decrypt(ciphertext: str, context: dict[str, str], kms: Any = None) -> str:
    kms = kms or clients.client("kms")
    out = kms.decrypt(CiphertextBlob=base64.b64decode(ciphertext), EncryptionContext=context)
    return bytes(out["Plaintext"]).decode()
