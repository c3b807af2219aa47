"""The platform key: from the environment or a mode-600 file in the data dir."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from racetrack.core.errors import RacetrackError
from racetrack.lifecycle.services.crypto import load_cipher
from racetrack.lifecycle.settings import LifecycleSettings


def test_key_file_is_created_with_mode_600_and_reused(tmp_path: Path) -> None:
    settings = LifecycleSettings(data_dir=tmp_path)
    token = load_cipher(settings).encrypt(b"secret")
    key_file = tmp_path / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_cipher(settings).decrypt(token) == b"secret"


def test_key_from_settings_may_be_a_fernet_key_or_a_passphrase(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    cipher = load_cipher(LifecycleSettings(data_dir=tmp_path, secret_key=key))
    assert Fernet(key.encode()).decrypt(cipher.encrypt(b"x")) == b"x"
    phrase = load_cipher(LifecycleSettings(data_dir=tmp_path, secret_key="correct horse"))
    assert (
        load_cipher(LifecycleSettings(data_dir=tmp_path, secret_key="correct horse")).decrypt(
            phrase.encrypt(b"y")
        )
        == b"y"
    )
    assert not (tmp_path / "secret.key").exists()


def test_a_different_key_cannot_decrypt_and_says_why(tmp_path: Path) -> None:
    token = load_cipher(LifecycleSettings(data_dir=tmp_path, secret_key="one")).encrypt(b"x")
    with pytest.raises(RacetrackError, match="secret key differs"):
        load_cipher(LifecycleSettings(data_dir=tmp_path, secret_key="two")).decrypt(token)
