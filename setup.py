"""Only what pyproject.toml cannot say: ``resources/`` and ``ui/`` live at the top of the
repository (DESIGN.md §2) but ship inside the package as ``cati_app.resources`` and
``cati_app.ui``, so an installed wheel finds them exactly as a checkout does.

All package data is declared here, none in pyproject.toml: a ``[tool.setuptools.package-data]``
table there *replaces* this one, and the wheel silently loses the fonts, the questionnaire and
the Designer forms (tests/test_packaging.py checks the built wheel).
"""

from setuptools import find_namespace_packages, find_packages, setup

# Each folder under resources/ (fonts, questionnaires, ...) is a data-only package, listed so
# setuptools ships its files without warning that it "would be ignored".
RESOURCE_PACKAGES = ["cati_app.resources"] + [
    f"cati_app.resources.{name}" for name in find_namespace_packages(where="resources")
]

setup(
    packages=[*find_packages(include=["cati_app", "cati_app.*"]), *RESOURCE_PACKAGES,
              "cati_app.ui"],
    package_dir={"cati_app.resources": "resources", "cati_app.ui": "ui"},
    package_data={
        **{package: ["*"] for package in RESOURCE_PACKAGES},
        "cati_app.ui": ["*.ui"],
        # Alembic renders new revisions from these templates
        "cati_app.server": ["migrations/*.mako"],
        "cati_app.client": ["migrations/*.mako"],
        # the web scorecard's pages, stylesheet and Dzongkha labels (served offline)
        "cati_app.server.web": ["templates/*.html", "static/*", "locale/*.json"],
    },
    exclude_package_data={"": ["__pycache__/*", "*.pyc"]},
)
