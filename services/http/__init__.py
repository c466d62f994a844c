"""HTTP plumbing shared by the API and the pages: server, headers, metrics, the request context."""
