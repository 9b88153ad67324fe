"""What `make prod` and deploy/ promise before any process starts: a clear French
message without PostgreSQL and Redis, one environment file that documents every
variable the settings read, an nginx configuration that nginx accepts, and HTTPS as a
city serves it."""

import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time

import pytest
import requests

from config import prod

SETTINGS = prod.ROOT / "config" / "settings.py"
EXAMPLE = prod.ROOT / "deploy" / "tribune.env.example"


def test_make_prod_says_in_french_what_is_missing():
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    result = subprocess.run(
        [sys.executable, "-m", "config.prod", "run"],
        cwd=prod.ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "DATABASE_URL et REDIS_URL manquent" in result.stderr
    assert "deploy/tribune.env.example" in result.stderr


def test_the_environment_file_documents_every_variable_of_the_settings():
    read = set(re.findall(r'env\.\w+\(\s*"([A-Z][A-Z0-9_]+)"', SETTINGS.read_text()))
    documented = set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", EXAMPLE.read_text(), re.MULTILINE))
    assert {"DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY"} <= read
    assert read - documented == set()
    values = prod.read_env_file(EXAMPLE)
    assert values["DEFAULT_FROM_EMAIL"] == "Tribune <ne-pas-repondre@participer.ville.fr>"
    assert "DATABASE_POOL_MAX" not in values  # sized per process, not for all at once


def test_a_malformed_line_is_pointed_at(tmp_path):
    path = tmp_path / "tribune.env"
    path.write_text("DATABASE_URL=postgres://x\nREDIS_URL redis://y\n")
    with pytest.raises(SystemExit, match="ligne 2 : « REDIS_URL redis://y »"):
        prod.read_env_file(path)


# Skipped only on a developer's machine without nginx: .ci/run installs it, and in CI
# its absence is a failure, not a skip.
NO_NGINX = not shutil.which("nginx") and not os.path.exists("/usr/sbin/nginx")


@pytest.mark.skipif(
    NO_NGINX and not os.environ.get("CI"), reason="nginx n'est pas installé (apt-get install nginx)"
)
def test_nginx_accepts_the_rendered_configuration(tmp_path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    site = prod.render_site(
        listen="127.0.0.1:8080", server_name="participer.ville.fr", var_dir=tmp_path,
        gunicorn="127.0.0.1:8000", uvicorn=["127.0.0.1:8001", "127.0.0.1:8002"],
    )  # fmt: skip
    assert "@" not in re.sub(r"#.*", "", site)  # every placeholder replaced
    conf = tmp_path / "nginx.conf"
    conf.write_text(prod.render_main(site, tmp_path))
    result = subprocess.run(
        [nginx, "-t", "-e", "stderr", "-c", str(conf), "-p", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(
    NO_NGINX and not os.environ.get("CI"), reason="nginx n'est pas installé (apt-get install nginx)"
)
def test_with_a_certificate_nginx_speaks_only_modern_tls_and_sends_plain_http_to_https(tmp_path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    cert, key = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    (tmp_path / "static" / "css").mkdir(parents=True)
    (tmp_path / "static" / "css" / "site.css").write_text("body { color: #111; }\n")
    https_port, http_port = prod.free_port(), prod.free_port()
    site = prod.render_site(
        listen=f"127.0.0.1:{https_port}", server_name="localhost", var_dir=tmp_path,
        gunicorn="127.0.0.1:9", uvicorn=["127.0.0.1:9", "127.0.0.1:9"],
        tls=(str(cert), str(key)), http_port=f"127.0.0.1:{http_port}",
    )  # fmt: skip
    conf = tmp_path / "nginx.conf"
    conf.write_text(prod.render_main(site, tmp_path))
    server = subprocess.Popen(
        [nginx, "-e", "stderr", "-c", str(conf), "-p", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        assert server.poll() is None, server.stderr.read().decode()
        while prod.port_is_free(https_port) and time.monotonic() < deadline:
            time.sleep(0.1)
        answer = requests.get(
            f"https://127.0.0.1:{https_port}/static/css/site.css", verify=str(cert), timeout=10
        )
        assert answer.status_code == 200 and "color" in answer.text

        # TLS 1.2 at least: a client that offers only 1.1 is refused at the handshake.
        old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        old.load_verify_locations(str(cert))
        old.minimum_version = old.maximum_version = ssl.TLSVersion.TLSv1_1
        with (
            pytest.raises(ssl.SSLError),
            socket.create_connection(("127.0.0.1", https_port)) as raw,
        ):
            old.wrap_socket(raw, server_hostname="localhost").close()
        modern = ssl.create_default_context(cafile=str(cert))
        with (
            socket.create_connection(("127.0.0.1", https_port)) as raw,
            modern.wrap_socket(raw, server_hostname="localhost") as tls,
        ):
            assert tls.version() in {"TLSv1.2", "TLSv1.3"}

        plain = requests.get(
            f"http://127.0.0.1:{http_port}/consultations/?page=2", allow_redirects=False, timeout=10
        )
        assert plain.status_code == 301
        assert plain.headers["Location"] == "https://127.0.0.1/consultations/?page=2"
        (tmp_path / "acme" / ".well-known" / "acme-challenge").mkdir(parents=True)
        (tmp_path / "acme" / ".well-known" / "acme-challenge" / "jeton").write_text("preuve")
        challenge = requests.get(
            f"http://127.0.0.1:{http_port}/.well-known/acme-challenge/jeton", timeout=10
        )
        assert challenge.status_code == 200 and challenge.text == "preuve"
    finally:
        server.terminate()
        server.wait(timeout=20)


NO_SYSTEMD = shutil.which("systemd-analyze") is None


@pytest.mark.skipif(
    NO_SYSTEMD and not os.environ.get("CI"),
    reason="systemd-analyze absent (apt-get install systemd)",
)
def test_systemd_accepts_the_units_of_deploy(tmp_path):
    """systemd's own checker reads every unit of deploy/systemd/ as a server would have
    them (the checkout in place of /srv/tribune): directives, types, dependencies, and
    that each command exists and is executable."""
    units = sorted((prod.ROOT / "deploy" / "systemd").iterdir())
    for unit in units:
        text = unit.read_text().replace("/etc/tribune/tribune.env", str(EXAMPLE))
        (tmp_path / unit.name).write_text(text.replace("/srv/tribune", str(prod.ROOT)))
    names = [
        unit.name.replace("@.", "@8001.") if "@." in unit.name else unit.name for unit in units
    ]
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *names],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr
    # And it does complain when a unit is wrong: a misspelt type, a missing command.
    broken = (tmp_path / "tribune-web.service").read_text().replace("Type=exec", "Type=exce")
    (tmp_path / "broken.service").write_text(broken.replace(str(prod.ROOT), "/nonexistent"))
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", "broken.service"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert "exce" in result.stderr and "not executable" in result.stderr
