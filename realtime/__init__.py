"""Socket.IO transport: the /chat namespace, payload schemas, presence, the event publisher."""
