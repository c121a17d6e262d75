"""Realtime push: the event bus, the outbox relay, and WebSocket/SSE hubs fed by the bus."""
