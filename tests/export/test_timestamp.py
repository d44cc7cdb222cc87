"""RFC 3161: a local OpenSSL TSA, started by the test, timestamps the statement; the verifier checks it."""

from __future__ import annotations

import io
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from odr.export import verifier
from odr.integrity import timestamp as tsa_client
from odr.integrity.keys import platform_key
from tests.export.conftest import escalate, stored_bundle

TSA_CONFIG = """
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = {dir}
serial = $dir/serial
signer_cert = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ess_cert_id_alg = sha256
crypto_device = builtin
ordering = no
tsa_name = no
ess_cert_id_chain = no
"""


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def local_tsa(tmp_path):
    """A throwaway CA and TSA certificate, and an HTTP endpoint that answers with `openssl ts -reply`."""
    folder = tmp_path / "tsa"
    folder.mkdir()
    (folder / "ext.cnf").write_text("extendedKeyUsage=critical,timeStamping\nbasicConstraints=CA:FALSE\n")
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=Test TSA Root",
        cwd=folder,
    )
    _openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "tsa.key",
        "-out",
        "tsa.csr",
        "-subj",
        "/CN=Test TSA",
        cwd=folder,
    )
    _openssl(
        "x509",
        "-req",
        "-in",
        "tsa.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "tsa.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
        cwd=folder,
    )
    (folder / "serial").write_text("01\n")
    (folder / "tsa.cnf").write_text(TSA_CONFIG.format(dir=folder))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            query = self.rfile.read(int(self.headers["Content-Length"]))
            (folder / "query.tsq").write_bytes(query)
            _openssl("ts", "-reply", "-config", "tsa.cnf", "-queryfile", "query.tsq", "-out", "reply.tsr", cwd=folder)
            body = (folder / "reply.tsr").read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", folder
    server.shutdown()
    server.server_close()


def test_the_statement_is_timestamped_and_the_token_verifies(app, world, local_tsa, tmp_path):
    url, folder = local_tsa
    app.config["ODR"]["TSA_URL"] = url
    case = escalate(world)
    export, path = stored_bundle(app, case.id)
    assert export.timestamped
    out = io.StringIO()
    code = verifier.verify_bundle(str(path), platform_key().key_id, tsa_ca=(folder / "ca.pem").read_bytes(), out=out)
    assert code == 0, out.getvalue()
    assert "statement.json: RFC 3161 timestamp: issued" in out.getvalue()
    assert "by the trusted TSA 'CN=Test TSA'" in out.getvalue()

    # OpenSSL agrees, on the unpacked files.
    import zipfile

    with zipfile.ZipFile(path) as archive:
        archive.extractall(tmp_path / "bag")
    (bag,) = (tmp_path / "bag").iterdir()
    check = subprocess.run(
        [
            "openssl",
            "ts",
            "-verify",
            "-data",
            str(bag / "statement.json"),
            "-in",
            str(bag / "statement.json.tsr"),
            "-CAfile",
            str(folder / "ca.pem"),
            "-untrusted",
            str(folder / "tsa.pem"),
        ],
        capture_output=True,
        text=True,
    )
    assert "Verification: OK" in check.stdout, check.stdout + check.stderr


def test_a_token_for_other_data_or_from_an_untrusted_tsa_fails(app, local_tsa, tmp_path):
    url, folder = local_tsa
    token = tsa_client.timestamp(b"the real statement", url)
    out = io.StringIO()
    report = verifier.Report(out)
    verifier.check_timestamp(token, b"another statement", (folder / "ca.pem").read_bytes(), "statement.json", report)
    assert "the token is for other data, not for statement.json" in out.getvalue()

    _openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "other.key",
        "-out",
        "other.pem",
        "-days",
        "2",
        "-subj",
        "/CN=Someone else",
        cwd=folder,
    )
    out = io.StringIO()
    report = verifier.Report(out)
    verifier.check_timestamp(
        token, b"the real statement", (folder / "other.pem").read_bytes(), "statement.json", report
    )
    assert "is not issued by the CA you gave" in out.getvalue()
    assert report.failures


def test_an_unreachable_tsa_leaves_the_bundle_untimestamped_but_valid(app, world):
    app.config["ODR"]["TSA_URL"] = "http://127.0.0.1:9/"
    case = escalate(world)
    export, path = stored_bundle(app, case.id)
    assert not export.timestamped
    out = io.StringIO()
    assert verifier.verify_bundle(str(path), platform_key().key_id, out=out) == 0
    assert "has no RFC 3161 timestamp token" in out.getvalue()
