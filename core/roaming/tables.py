"""Roaming tables: partners and their connection, contract groups, station roaming settings."""

from __future__ import annotations
