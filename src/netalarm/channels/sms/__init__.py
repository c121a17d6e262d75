"""SMS to the reporter: queued by a seat, sent by the delivery worker through a transport."""
