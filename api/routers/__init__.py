"""The API's routers, one per principal."""

from __future__ import annotations

from api.routers import access, admin, department, portal, public

__all__ = ["access", "admin", "department", "portal", "public"]
