"""RQ job functions: thin steps that load from the database, call Zoom or SMTP, save, enqueue the next."""
