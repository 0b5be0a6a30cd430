"""The project's own error: bad data, a bad config or argument, a held lock, a failed record.

`funcspec` prints these as one line and exits 1; any other exception is a bug and shows its
traceback. A ValueError, so that code calling the package can catch it as one.
"""


class FuncspecError(ValueError):
    pass
