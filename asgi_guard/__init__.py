"""The HTTP contract's request checks as plain ASGI middlewares, free of BentoML.

The BentoML entry services and the bare Starlette app put the same guard in
front of their handlers (RequestGuard composes it); each middleware does one
job, takes its limits as arguments and answers with Starlette's responses.
"""

from asgi_guard.guard import RequestGuard
from asgi_guard.profile import ProfileMiddleware

__all__ = ["ProfileMiddleware", "RequestGuard"]
