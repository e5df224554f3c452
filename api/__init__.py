"""The desens consent API (FastAPI): build it with :func:`create_app`.

=============  =========================================================
module         concept
=============  =========================================================
app            the app factory
auth           API-key authentication and role dependencies
errors         the one exception -> HTTP mapping, error bodies
schemas        request and response bodies
routers/       one router per principal: admin, department, portal,
               access (recipients), public
=============  =========================================================
"""

from __future__ import annotations

from api.app import create_app

__all__ = ["create_app"]
