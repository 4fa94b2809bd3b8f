"""The client's address, scheme and host as the trust's reverse proxies saw them.

Behind a proxy every request comes from the proxy's address, so every patient would share
one rate limit. With TRUSTED_PROXIES=n (the number of proxies in front of the app, default 0),
Werkzeug's ProxyFix takes the address, scheme and host from the last n entries of the
X-Forwarded-For, -Proto and -Host headers that those proxies add; entries a client wrote
itself, further left, are ignored. With 0 the headers are not read at all.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app: Flask) -> None:
    trusted = app.config["SETTINGS"].trusted_proxies
    if trusted:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=trusted, x_host=trusted)
