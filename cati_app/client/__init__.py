"""Desktop-side logic without Qt: the local store, the API client and the sync engine
(DESIGN.md §4, client engine). Never imports the server or the desktop packages."""
