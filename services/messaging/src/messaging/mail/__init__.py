"""Outgoing e-mail: templates and rendering (compose), the SMTP transport, the sender task.

Messaging is the only process of the suite that talks to an SMTP server. An e-mail is
rendered when its cause is recorded (an event, a reply) and written to the ``emails``
table in that same transaction; the sender delivers it later. See docs/emails.md.
"""
