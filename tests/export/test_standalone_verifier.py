"""The court's verifier runs alone: one file, the standard library and `cryptography`, nothing else."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import cryptography

from odr.export import verifier
from odr.integrity.keys import platform_key


def isolated_site(tmp_path: Path) -> Path:
    """A folder holding only cryptography (and the cffi backend it may load): the court's install."""
    site = tmp_path / "site"
    site.mkdir()
    packages = Path(cryptography.__file__).parent.parent
    shutil.copytree(Path(cryptography.__file__).parent, site / "cryptography")
    for extra in packages.glob("_cffi_backend*"):
        shutil.copy(extra, site)
    return site


def run_alone(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    court = tmp_path / "court"
    court.mkdir(exist_ok=True)
    shutil.copy(verifier.__file__, court / "verifier.py")
    site = isolated_site(tmp_path) if not (tmp_path / "site").exists() else tmp_path / "site"
    # -I: no environment, no user site; -S: no site-packages. Only the stdlib, the copy and `site`.
    code = (
        "import sys; sys.path[:0] = [sys.argv.pop(1), sys.argv.pop(1)]\n"
        "for name in ('flask', 'odr', 'sqlalchemy', 'lxml', 'rfc8785'):\n"
        "    try:\n        __import__(name)\n    except ImportError:\n        pass\n"
        "    else:\n        raise SystemExit('unexpectedly importable: ' + name)\n"
        "import verifier; sys.exit(verifier.main(sys.argv[1:]))"
    )
    return subprocess.run(
        [sys.executable, "-I", "-S", "-c", code, str(court), str(site), *args],
        capture_output=True,
        text=True,
        cwd=court,
        timeout=120,
    )


def test_the_verifier_runs_with_only_the_standard_library_and_cryptography(escalated, tmp_path):
    _case, _export, path = escalated
    result = run_alone(tmp_path, "bundle", str(path), "--key-id", platform_key().key_id)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "RESULT: the bundle is valid" in result.stdout
    assert "the signing key is the platform key you trust" in result.stdout


def test_the_standalone_verifier_exits_non_zero_on_a_tampered_bundle(escalated, tmp_path):
    _case, _export, path = escalated
    tampered = tmp_path / "tampered.zip"
    data = bytearray(path.read_bytes())
    marker = data.find(b"\x89PNG")
    data[marker + 50] ^= 0xFF
    tampered.write_bytes(bytes(data))
    result = run_alone(tmp_path, "bundle", str(tampered), "--key-id", platform_key().key_id)
    assert result.returncode == 2, result.stderr
    assert "original.png: Bad CRC-32" in result.stdout and "(the file was changed inside the archive)" in result.stdout
    assert "RESULT: the bundle is NOT valid" in result.stdout


def test_odr_bundle_verify_command(app, escalated):
    _case, _export, path = escalated
    runner = app.test_cli_runner()
    result = runner.invoke(args=["bundle", "verify", str(path)])
    assert result.exit_code == 0, result.output
    assert "the signing key is the platform key you trust" in result.output
    bad = runner.invoke(args=["bundle", "verify", str(path), "--key-id", "0" * 64])
    assert bad.exit_code == 2 and "not with the platform key you trust" in bad.output
