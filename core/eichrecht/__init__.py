"""Eichrecht: signed meter data (OCMF) parsed and verified, meter public keys checked.

Pure code over the shared kernel only; infrastructure stores a station's meter key with its checks, and CDRs
store the verification result.
"""
