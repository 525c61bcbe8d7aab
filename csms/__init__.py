"""Composition root: the app factory and the ``csms`` command line."""
