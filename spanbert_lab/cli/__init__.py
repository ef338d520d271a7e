"""The command line: ``python -m spanbert_lab COMMAND …``.

Each command module parses its arguments into the library's dataclasses and calls the library;
nothing else happens here, and no library module imports this package.
"""
