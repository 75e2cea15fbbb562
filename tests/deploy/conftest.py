"""Fixtures for the deployment checks (see deploy_helpers.py)."""

from deploy_helpers import relay_venv  # noqa: F401
