"""Phone call-backs: the seat dials the reporter from its own phone (a `tel:` link) and
records how the call went. No telephony gateway is connected, so this channel records the
seat's word for what happened; it places no call itself."""
