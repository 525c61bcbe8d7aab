"""OCPP 1.6J: station->CSMS handlers (handlers.py)."""
