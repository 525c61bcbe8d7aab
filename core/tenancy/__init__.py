"""Tenancy: tenants (CPO, EMP, reseller with sub-CPOs), staff users, user groups and their permission switches,
the acting ``Actor``, passwords, logins and portal sessions, API keys and the audit trail of who changed what.

The bottom domain: every other domain uses it (each row belongs to a tenant, each call is made by an actor). It
uses only the shared kernel (core.settings, core.db, core.errors, core.validation).
"""
