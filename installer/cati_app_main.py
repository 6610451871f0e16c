"""The bundle's entry point (PyInstaller needs a script, not a console-script entry)."""

from cati_app.desktop.app import main

if __name__ == "__main__":
    raise SystemExit(main())
