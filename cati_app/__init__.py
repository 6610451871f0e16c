"""ServE CATI: telephone interviewing for the RCSC Service Evaluation Tool."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("serve-cati")
except PackageNotFoundError:  # running from a checkout without an install
    __version__ = "0.0.0+unknown"
