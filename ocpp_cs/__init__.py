"""OCPP central system: websocket transport, per-version handlers, connection registry, command bus."""
