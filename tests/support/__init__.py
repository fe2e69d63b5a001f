"""What the tests share, in one home.

- services.py: a pytest plugin giving each run its own Redis server, database
  and queue, so the suite never touches what it did not create.
- processes.py: the service's real processes (workers, beat, gunicorn) and
  private Redis servers and PostgreSQL clusters that tests may kill.
- smtp.py: a real SMTP server on loopback that tests can slow or refuse.
- providers.py: local stand-ins for the email providers' sending APIs;
  webhooks.py: their webhook calls, signed as they sign them.
- dns_server.py: a DNS server on loopback answering TXT records from a dict.
- factories.py: factory_boy factories for users and outbox rows.
- flows.py: signing up, logging in and reading links out of email.
"""
