"""JSON shapes shared by both transports (api/ and realtime/), and the text-rule field types.
The domain returns records; only the transports (and this package, for them) know JSON keys."""
