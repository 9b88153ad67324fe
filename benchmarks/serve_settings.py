"""Settings of benchmarks/serve.py's server: the product's, plus one bare page to compare
with, in the benchmark's own URLconf (never in the product)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.serve_urls"
