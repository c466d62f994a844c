"""What touches storage and the outside: the event store, keys and sealing, the hash chain, backups, side tables."""
