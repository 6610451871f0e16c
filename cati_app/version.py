"""The one place the version is written. pyproject.toml reads it (``[tool.setuptools.dynamic]``),
so the wheel's metadata, ``cati-app --version``, ``cati-server --version``, the server's OpenAPI
document and the Windows installer (installer/serve-cati.iss reads it at compile time) agree.

A plain assignment, not ``importlib.metadata``: the PyInstaller bundle carries no package
metadata, and setuptools reads this line without importing the package."""

__version__ = "0.1.0"
