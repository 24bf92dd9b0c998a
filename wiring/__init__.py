"""The composition root's own modules: typed application keys (and, later, service wiring)."""
