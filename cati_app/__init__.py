"""ServE CATI: telephone interviewing for the RCSC Service Evaluation Tool."""

from cati_app.version import __version__

__all__ = ["__version__"]
