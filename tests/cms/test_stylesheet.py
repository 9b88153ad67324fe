"""The stylesheet is linted (stylelint, `make lint`), and the lint does catch the kind
of mistake that once left most of the site's look inside a high-contrast-only block."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STYLELINT = ROOT / "node_modules" / ".bin" / "stylelint"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

pytestmark = pytest.mark.skipif(
    not STYLELINT.exists() and not IN_CI,
    reason="stylelint n'est pas installé (make lint l'installe avec npm ci)",
)


def stylelint(*paths):
    if not STYLELINT.exists():
        pytest.fail("CI=true mais stylelint est absent : lancez npm ci (make test le fait).")
    return subprocess.run(
        [
            shutil.which("node") or "node",
            str(STYLELINT),
            "--config",
            ".stylelintrc.json",
            *map(str, paths),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_sites_stylesheet_passes_the_lint():
    result = stylelint("static/css/tribune.css")
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_unclosed_media_block_fails_the_lint(tmp_path):
    broken = tmp_path / "broken.css"
    broken.write_text(
        "@media (forced-colors: active) {\n  .a { color: CanvasText; }\n"
        ".thread { margin-top: 2.5rem; }\n"
    )
    result = stylelint(broken)
    assert result.returncode != 0
    assert "Unclosed block" in result.stdout + result.stderr
