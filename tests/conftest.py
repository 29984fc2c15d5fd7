"""The suites outside the apps (production services, security) share the apps' fixtures."""

from motcua.conftest import *  # noqa: F403
