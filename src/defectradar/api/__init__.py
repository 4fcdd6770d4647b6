"""The REST API (``/api/v1``) and the server that carries it and the dashboard.

Routes are thin shells over the library (ARCHITECTURE.md principle 1): each parses its input,
makes one library call and returns the result object's data.  The core never imports this.
"""
