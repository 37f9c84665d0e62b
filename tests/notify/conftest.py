from tests.notify.smtp_server import smtp_server  # noqa: F401
