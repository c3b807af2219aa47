"""The platform's key for secrets at rest (token copies, deployment secrets, plugin secrets).

The key comes from ``RACETRACK_SECRET_KEY`` (a Fernet key, or any passphrase, stretched into
one with SHA-256) or from ``<data_dir>/secret.key``, created on first start with mode 600.
The key never goes into the database, so a database dump alone yields no usable secret.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from loguru import logger

from racetrack.core.errors import RacetrackError
from racetrack.lifecycle.settings import LifecycleSettings


class Cipher:
    """Fernet encryption with the platform key."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    def encrypt(self, data: bytes) -> bytes:
        return self._fernet.encrypt(data)

    def decrypt(self, token: bytes) -> bytes:
        try:
            return self._fernet.decrypt(token)
        except InvalidToken as e:
            raise RacetrackError(
                "cannot decrypt a secret stored in the database: the secret key differs from the one "
                "it was encrypted with (check RACETRACK_SECRET_KEY or <data_dir>/secret.key)"
            ) from e

    def encrypt_text(self, text: str) -> bytes:
        return self.encrypt(text.encode())

    def decrypt_text(self, token: bytes) -> str:
        return self.decrypt(token).decode()


def _key_from_text(text: str) -> bytes:
    """A Fernet key as given, or one derived from a passphrase."""
    raw = text.strip().encode()
    try:
        if len(base64.urlsafe_b64decode(raw)) == 32:
            return raw
    except (ValueError, TypeError):
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(raw).digest())


def _read_or_create_key_file(path: Path) -> bytes:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Fernet.generate_key()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it meanwhile
            return _read_or_create_key_file(path)
        with os.fdopen(fd, "wb") as file:
            file.write(key + b"\n")
        logger.info("secret key created", path=str(path))
        return key
    if mode & 0o077:
        logger.warning("secret key file is readable by others; run: chmod 600 {}", path, mode=oct(mode))
    return _key_from_text(path.read_text())


def load_cipher(settings: LifecycleSettings) -> Cipher:
    """The cipher for this installation: key from settings, else from (or into) the key file."""
    if settings.secret_key is not None and settings.secret_key.get_secret_value().strip():
        return Cipher(_key_from_text(settings.secret_key.get_secret_value()))
    return Cipher(_read_or_create_key_file(settings.resolved_secret_key_file))
