"""The WSGI entry point for gunicorn (`zoombridge.wsgi:app`).

Bad settings end the process with exit code 3, which gunicorn's arbiter reads as "worker failed
to boot" and stops the whole server, instead of respawning workers that can never start.
"""

import sys

from zoombridge.app import create_app
from zoombridge.config import BOOT_ERROR, ConfigError

try:
    app = create_app()
except ConfigError as exc:  # one clear line instead of a traceback
    sys.stderr.write(f"zoombridge: {exc}\n")
    sys.stderr.flush()
    sys.exit(BOOT_ERROR)
