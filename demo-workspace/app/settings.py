"""Settings of the inventory service.

Planted for the Switchboard demo: the password below is fake, and
hard-coding it is exactly the mistake the audit flow is meant to catch.
"""

DB_HOST = "db.internal.example"
DB_PORT = 5432
DB_USER = "inventory"
DB_PASSWORD = "Tr0ub4dor-and-3"
DB_NAME = "inventory"

PAGE_SIZE = 50
