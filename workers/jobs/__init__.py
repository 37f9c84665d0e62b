"""RQ job functions: thin, each safe to run twice."""
