"""Use cases: one module per capability, each on the shared base, reading and writing through the store."""
