"""Commands: CSMS->station commands (OCPP 1.6): the catalogue, running them one by one or in bulk, their
records, the transport interface that ocpp_cs implements, and diagnostics uploads.

Uses tenancy, infrastructure, access and charging.
"""
