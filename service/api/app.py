"""The Flask class the service runs on: Flask, minus two costs this API never needs."""

from flask import Flask
from flask.sessions import SessionInterface


class LoyaltyFlask(Flask):
    """Flask, remembering which of its hooks and views are plain (not async) functions, and
    with no cookie sessions (``NoCookieSessions``).

    Flask asks ``ensure_sync`` about every hook and view on every request, and each answer
    inspects the function's code flags again (a measured 2% of an unchanged poll). Answers are
    kept per function: a bound method (a MethodView's, new on every request) by the function
    it binds, so the memo holds one entry per function this app registered, never more.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._plain: dict = {}
        self.session_interface = NoCookieSessions()

    def ensure_sync(self, func):
        key = getattr(func, "__func__", func)  # a bound method is as async as its function
        try:
            plain = self._plain[key]
        except KeyError:
            plain = self._plain[key] = super().ensure_sync(func) is func
        except TypeError:  # an unhashable callable: asked afresh, as Flask would
            return super().ensure_sync(func)
        return func if plain else super().ensure_sync(func)


class NoCookieSessions(SessionInterface):
    """The API keeps no cookie session (admins send a bearer token, tills a key): Flask's
    default would still build a signing serializer for every request to look for one."""

    def open_session(self, app, request):
        return None  # Flask then uses a null session, which refuses writes

    def save_session(self, app, session, response):
        pass
