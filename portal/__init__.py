"""The CPO staff portal (server-rendered, HTMX) and the REST API for CPO systems."""
