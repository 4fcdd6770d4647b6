"""One exception tree for defectradar.

Every error a user can cause or meet derives from :class:`DefectRadarError`.
Shells (CLI, API) catch this root, print its one-line message and map
``exit_code`` / ``http_status``; anything else escaping is a bug.
Errors caused by bad input also derive from :class:`ValueError` so library
callers can handle them the usual Python way.
"""

from __future__ import annotations


class DefectRadarError(Exception):
    """Root of all defectradar errors; the message is shown to users as is.

    Messages often quote what the user gave (a value, a column name); a personal identifier
    in one is replaced by its kind (``<a phone number>``) here, once for every error, since
    messages are printed, stored with failed runs and pasted into bug reports.
    """

    exit_code = 1
    http_status = 500

    def __init__(self, *args: object) -> None:
        if len(args) == 1 and isinstance(args[0], str):
            # Imported here: every module imports errors, and masking needs the identifiers.
            from defectradar.core.masking import mask_identifiers

            args = (mask_identifiers(args[0]),)
        super().__init__(*args)


class InputError(DefectRadarError, ValueError):
    """The user's input (file, option, value) cannot be used; the message says how to fix it."""

    exit_code = 2
    http_status = 400


class NotFoundError(InputError):
    """The thing asked for (an alert, a report, a device, an upload job) does not exist."""

    http_status = 404


class ConfigError(InputError):
    """A setting (environment variable or flag) holds a value it cannot accept."""


class UnknownFormatError(InputError):
    """A file's format could not be detected or is not one defectradar reads."""


class UnreadableFileError(InputError):
    """A file is missing, unreadable or not in the format it claims to be."""


class IngestAccountingError(DefectRadarError):
    """The rows read and refused do not account for every line of a file: rows may be lost.

    Not an input error: the file may be fine and the reader wrong, so it exits 1 and asks for a
    report rather than telling the user to fix the file.
    """


class StoreError(DefectRadarError):
    """The store cannot be opened or used."""

    http_status = 503


class StoreBusyError(StoreError):
    """Another process holds the store for longer than the lock timeout."""

    exit_code = 75  # EX_TEMPFAIL: try again later


class StoreMissingError(StoreError):
    """A read-only command was pointed at a store that does not exist yet."""

    http_status = 404


class SchemaVersionError(StoreError):
    """The store was written by a newer defectradar, or needs an upgrade first."""


class SecretError(StoreError):
    """The pseudonymisation key is missing or does not match the store."""


class QueryTimeoutError(StoreError):
    """A web or API request read the store for longer than ``query_timeout`` and was stopped."""

    http_status = 503
