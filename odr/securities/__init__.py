"""A seller's security to keep its listings online while the case runs (Platform Rule 22)."""
