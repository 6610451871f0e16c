"""Only what pyproject.toml cannot say: ``resources/`` and ``ui/`` live at the top of the
repository (DESIGN.md §2) but ship inside the package as ``cati_app.resources`` and
``cati_app.ui``, so an installed wheel finds them exactly as a checkout does."""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["cati_app", "cati_app.*"]) + ["cati_app.resources", "cati_app.ui"],
    package_dir={"cati_app.resources": "resources", "cati_app.ui": "ui"},
    package_data={"cati_app.resources": ["**/*"], "cati_app.ui": ["*.ui"]},
)
