"""Job functions: thin (load from the database, call domain code, save, enqueue the next step), each safe to run twice."""
