"""Global behaviour: help, exit codes, one-line errors, TLS verification."""

from __future__ import annotations

import datetime
import socket
from pathlib import Path

import pytest

from racetrack.client.main import describe_unexpected

from .conftest import Cli, write_config
from .fake_lifecycle import ADMIN_TOKEN, FakeLifecycle


def test_no_arguments_prints_help_and_succeeds(cli: Cli) -> None:
    result = cli()
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: racetrack [OPTIONS] COMMAND [ARGS]...")
    assert "deploy" in result.stdout


def test_commands_with_required_arguments_print_help_when_bare(cli: Cli) -> None:
    result = cli("call")
    assert "Usage: racetrack call [OPTIONS] {NAME} {ENDPOINT} {PAYLOAD}" in result.output


def test_usage_errors_exit_with_2(cli: Cli) -> None:
    result = cli("deploy", "--no-such-option")
    assert result.exit_code == 2
    assert "No such option" in result.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_connection_refused_suggests_racetrack_up(cli: Cli) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = cli("list", "--remote", url)
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.endswith(
        f"ERROR cannot reach Racetrack at {url}/lifecycle: connection refused. "
        "Is it running? (start it with: racetrack up)"
    )


def test_unexpected_errors_are_one_line_with_location(
    cli: Cli, logged_in: FakeLifecycle, monkeypatch: pytest.MonkeyPatch
) -> None:
    from racetrack.client.commands import jobs

    def broken(*args: object, **kwargs: object) -> str:
        raise KeyError("pub_url")

    monkeypatch.setattr(jobs, "jobs_table", broken)
    logged_in.add_job("adder", "0.0.1")
    result = cli("list")
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert "ERROR 'pub_url' (KeyError; at test_main.py:" in line
    assert "jobs.py:" in line
    assert "Run with -v for the full traceback" in line


def test_verbose_adds_the_traceback_of_unexpected_errors(
    cli: Cli, logged_in: FakeLifecycle, monkeypatch: pytest.MonkeyPatch
) -> None:
    from racetrack.client.commands import jobs

    monkeypatch.setattr(jobs, "jobs_table", lambda *a: 1 / 0)
    logged_in.add_job("adder", "0.0.1")
    result = cli("-v", "list")
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "ZeroDivisionError" in result.stderr


def test_describe_unexpected_names_the_root_cause() -> None:
    try:
        try:
            {"y": 1}["x"]
        except KeyError as e:
            raise RuntimeError("could not read the answer") from e
    except RuntimeError as error:
        text = describe_unexpected(error)
    assert text.startswith("could not read the answer (KeyError: 'x'; at test_main.py:")


@pytest.fixture
def self_signed_cert(tmp_path: Path) -> tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(__import__("ipaddress").ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(cert_file), str(key_file)


@pytest.fixture
def tls_lifecycle(self_signed_cert: tuple[str, str], fast_polling: None, config_path: Path):  # type: ignore[no-untyped-def]
    fake = FakeLifecycle(tls=self_signed_cert).start()
    write_config(config_path, {"lifecycle_url": fake.url, "user_auths": {fake.lifecycle_url: ADMIN_TOKEN}})
    fake.add_job("adder", "0.0.1")
    yield fake
    fake.stop()


def test_tls_certificates_are_verified_by_default(cli: Cli, tls_lifecycle: FakeLifecycle) -> None:
    result = cli("list")
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert "TLS certificate verification failed" in line
    assert "--insecure" in line


def test_insecure_option_skips_verification(cli: Cli, tls_lifecycle: FakeLifecycle) -> None:
    result = cli("--insecure", "list")
    assert result.exit_code == 0, result.output
    assert "adder" in result.stdout


def test_insecure_env_skips_verification(
    cli: Cli, tls_lifecycle: FakeLifecycle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RACETRACK_INSECURE", "1")
    result = cli("list")
    assert result.exit_code == 0, result.output
