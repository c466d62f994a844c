"""Read models built only from the event store's notification log (see projections issue)."""
