"""The `raquan` command: the entry point above the scheduler, the geographic layer and the web app."""
