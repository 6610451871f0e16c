"""The agency's web scorecard (``/scorecard/``, issue 16): server-rendered pages (Jinja2) with
every asset shipped in the package (no CDN), signed in with the API's accounts through a
session cookie, every POST form protected by a CSRF token."""
