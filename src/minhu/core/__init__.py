"""Framework glue that knows nothing of work orders: database, types, errors, clock, security."""
