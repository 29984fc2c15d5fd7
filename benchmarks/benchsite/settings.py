"""Settings of the benchmark site: the product's settings, unchanged, plus the `benchsite` app.

Run with PYTHONPATH=src:benchmarks and DJANGO_SETTINGS_MODULE=benchsite.settings.
"""

from motcua.lib.environment import database_from_url, env_str
from motcua.settings import *  # noqa: F403
from motcua.settings import BASE_DIR, INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "benchsite"]
ROOT_URLCONF = "benchsite.urls"
DEBUG = False
ALLOWED_HOSTS = ["*"]

# As the product reads it; the default is the benchmark's own SQLite file, which
# benchmarks/run.py deletes before every run.
DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'bench' / 'bench.sqlite3'}"),
        base_dir=BASE_DIR,
    )
}
