"""Channels a seat uses to reach a reporter besides the chat: SMS and phone call-backs.

Each channel is a folder of its own and can be tested with the others switched off. An
outgoing channel (SMS) is a transport with one `send` method, fed by a worker that claims
queued rows; nothing is sent from a request handler or before the row is committed."""
