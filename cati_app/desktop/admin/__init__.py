"""The admin's room: accounts, devices, locks, services and call lists, calling rules."""
