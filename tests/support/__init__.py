"""What the tests share, in one place (issue 12, item 8): constants, a PostgreSQL schema per
test, the real server in a subprocess or a thread, seed factories, the CLI runner, workbooks.

Test modules import from here (and get fixtures from the conftest.py files), never from another
test module; tests/test_no_test_imports.py keeps it so."""
