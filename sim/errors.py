"""Errors raised for bad input: each names the file, the key and what is allowed."""


class InputError(ValueError):
    """Bad input in a parameter or scenario file.

    Parameters
    ----------
    file : str
        The file the problem is in.
    key : str
        The key (dotted path) the problem is at.
    message : str
        What is wrong and what is allowed.
    """

    def __init__(self, file, key, message):
        self.file, self.key, self.message = str(file), key, message
        super().__init__(f"{self.file}: {key}: {message}")


class InputErrors(ValueError):
    """Several input problems found in one pass, reported together."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))
