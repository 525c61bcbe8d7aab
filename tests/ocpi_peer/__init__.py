"""The extrawest-ocpi peer: an OCPI 2.2.1 implementation we did not write, for csms's OCPI tests and benchmark.

Two sides, two interpreters (README.md in this folder tells how to use it and where extrawest deviates from
OCPI 2.2.1):

- in csms's own virtualenv: ``venv`` (makes the peer's virtualenv), ``peer`` (starts the peer process and talks
  to its control API), ``fixtures`` (the pytest plugin), ``crawl`` (the Link crawler, also used by the peer);
- in the peer's virtualenv (``.venv-ocpi-peer/``, extrawest-ocpi with FastAPI 0.101 and pydantic 1): ``server``
  (the application) and ``store`` (what it holds and received).
"""
