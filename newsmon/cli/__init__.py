"""The ``newsmon`` command line: one module per sub-command, registered in ``newsmon.cli.main``."""
