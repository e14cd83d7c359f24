"""The exceptions rectifier raises on bad input.

Library functions raise the built-in types (``TypeError``, ``ValueError``) with a message that
names the argument, what was wrong and the fix. :class:`UsageError` is for the command line: the
CLI turns it into one line on stderr and exit code 2.
"""


class UsageError(Exception):
    """A bad command-line argument or input file; the message is shown to the user as is."""
