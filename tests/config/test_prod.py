"""What `make prod` and deploy/ promise before any process starts: a clear French
message without PostgreSQL and Redis, one environment file that documents every
variable the settings read, an nginx configuration that nginx accepts."""

import os
import re
import shutil
import subprocess
import sys

import pytest

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
