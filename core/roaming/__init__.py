"""Roaming: OCPI partners and their connections, contract groups, and who may see and use which charge point.

Owns partners (EMP tenants of csms and external platforms), their credentials and connection state, the
exchange log, contract groups (Vertragsgruppen) and the stations' marketing and roaming switches, and the one
function that decides whether a partner may see (and later authorise at) a charge point. Later: partners'
tokens, and sessions and CDRs as partners receive them.

Uses tenancy, infrastructure, tariffs, access, charging and cdrs. Knows no OCPI framing: the JSON objects, the
transport and the HTTP client live in hub/.
"""
