"""A person's own data: what is held about them, its export and its erasure."""
