"""The WSGI entry point for gunicorn (`zoombridge.wsgi:app`)."""

import sys

from zoombridge.app import create_app
from zoombridge.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:  # one clear line instead of a traceback
    sys.stderr.write(f"zoombridge: {exc}\n")
    sys.exit(2)
