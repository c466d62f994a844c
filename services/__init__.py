"""Applications, the HTTP API and the command line: the adapters around the domain."""
