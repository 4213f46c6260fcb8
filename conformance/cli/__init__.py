"""The ``seqcheck`` command line: a thin click layer over the library API."""
