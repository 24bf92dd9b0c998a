"""HTTP transport: thin handlers that parse input, call one service, serialise the result."""
