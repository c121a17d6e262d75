"""The 110 boundary link between an Internet-side alarm server and the 110 server inside the
isolated police intranet.

Only the intranet side opens connections: the Internet side never reaches in. A network seat
forwards an incident to 110 (`outside.forward`): the forward waits in `link_forwards`. The
intranet server's puller (`puller`) asks the Internet side for waiting forwards over HTTPS
with the shared link token, turns each into an incident of its own (`inside.receive`, once
per forward however often it is fetched), and sends the 110 seat's progress back: the
relayed entries of that incident's timeline, in order, which the Internet side records on its
own incident (`outside.take_updates`, once per entry however often they are sent)."""
