"""Matching: pure scoring (numpy), the in-memory profile index, group formation, the embedder."""
