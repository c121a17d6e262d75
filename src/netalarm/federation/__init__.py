"""Federation with the superior alarm server (the same program, serving the centre above).

An incident nobody can take at this server's root centre — escalated there by a seat or by
the SLA watchdog — is handed up (`service.escalate_up`): a `superior` forward in the same
transaction. This server's sender (`worker`) posts it to the superior, signed with the key
the two share (`signing`), and then fetches the superior's progress on it, which lands on
this incident's timeline exactly as the 110 link's does (`boundary.outside.take_progress`).
The superior receives with `api`: one incident per forward, however often it is sent. This
server opens every connection; the superior only answers."""
