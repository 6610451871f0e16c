"""The SMS channel (issue 17, DESIGN.md §9.3): gateways behind one interface, an outbound queue
in the database with retries, back-off and a per-second rate, delivery receipts, and replies
(STOP puts the number on the do-not-call register).

- ``gateways``: the interface, the SMPP 3.4 adapter (smpplib) and the HTTP adapter;
- ``outbox``: queueing, sending due messages, recording receipts and replies;
- ``worker``: the loop ``cati-server sms-worker`` runs.
"""
