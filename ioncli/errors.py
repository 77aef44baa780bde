"""Expected failures and the exit code each one maps to.

    IonError                      exit 1 (base; never raised bare)
    ├── UsageError                exit 2  bad flag value, unwritable --output path
    ├── ConfigError               exit 3  malformed ion.toml, unknown key, wrong type, missing file
    ├── SourceError               exit 4  metric source unreachable or failing
    ├── DataError                 exit 4  empty range, not enough data, unreadable data file
    ├── PolicyViolation           exit 5  over budget, alert drift, threshold breach (CI gates)
    └── ApplyError                exit 1  a cloud change failed; the message says what changed

Anything that is not an IonError is a bug: `ion` exits 1 and prints the traceback only
with `--debug`. Commands raise these; only `ioncli.cli` turns them into output and codes.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_DATA = 4
EXIT_POLICY = 5


class IonError(Exception):
    """An expected failure: one clear line for the user and an exit code."""

    exit_code: int = EXIT_UNEXPECTED

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class UsageError(IonError):
    exit_code = EXIT_USAGE


class ConfigError(IonError):
    exit_code = EXIT_CONFIG


class SourceError(IonError):
    exit_code = EXIT_DATA


class DataError(IonError):
    exit_code = EXIT_DATA


class PolicyViolation(IonError):
    exit_code = EXIT_POLICY


class ApplyError(IonError):
    exit_code = EXIT_UNEXPECTED
