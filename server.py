"""The web submission service: ``python server.py`` or ``uvicorn server:app --port 8000``.

Settings come from ``GRADER_*`` environment variables or ``GRADER_SETTINGS_FILE`` (TOML); see
``grader settings``. A set-up mistake (no secret, no hardened sandbox) stops it with a message.
"""

from __future__ import annotations

import sys

from grader.errors import GraderError
from grader.settings import get_settings
from grader.web.app import create_app
from grader.web.settings import get_web_settings

try:
    settings = get_settings()
    web = get_web_settings()
    app = create_app(settings, web)
except GraderError as exc:
    print(f"error: {exc}", file=sys.stderr)
    raise SystemExit(2) from None

if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host=web.host, port=web.port)
