"""Fixtures of the product tests: the infrastructure tests' small installation per tenant."""

from __future__ import annotations

from tests.integration.infrastructure.conftest import foreign_site, site

__all__ = ["foreign_site", "site"]
