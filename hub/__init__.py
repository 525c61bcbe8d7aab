"""OCPI 2.2.1 hub node (sender and receiver modules, partner client)."""
