"""Outbound adapters: mail, push, images and blob storage.

Each module defines the interface it implements as a `typing.Protocol` beside it; the composition
root wires them. Nothing here knows about the aiohttp web application.
"""
