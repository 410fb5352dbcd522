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


def _bytes(n):
    """``n`` bytes in the largest unit that keeps it above 1 (for messages)."""
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000


class DiskFullError(OSError):
    """No room to write: the device is full, or the process's file-size limit (``ulimit -f``) is hit.

    Parameters
    ----------
    folder : path
        Where the write was going.
    needed : int
        Bytes the failed write needed (bytes).
    name : str
        The file being written.
    free : int
        Bytes free on the folder's file system.
    limit : int or None
        The process's file-size limit in bytes, if it has one.
    """

    def __init__(self, folder, needed, name, free, limit=None, total=None):
        self.folder, self.needed, self.name, self.free, self.limit = str(folder), needed, name, free, limit
        self.total = total
        super().__init__(self._message())

    def _message(self):
        text = (f"no room to write {self.folder}: {self.name} needed {_bytes(self.needed)}; "
                f"{_bytes(self.free)} free on its disk")
        if self.limit is not None:
            text += f", and this process may write files of at most {_bytes(self.limit)} (ulimit -f)"
        if self.total:
            text += f"; the whole job needs about {_bytes(self.total)}"
        return text + ". Nothing half-written was kept: free some space and run the same command again."

    def __str__(self):
        return self._message()


class FolderLockedError(RuntimeError):
    """Another process is writing the same output folder; the lock file names it."""

    def __init__(self, folder, lock, holder):
        who = (f"pid {holder.get('pid')} on {holder.get('host')}, started {holder.get('started')}, "
               f"running `{holder.get('command')}`") if holder else "a process that is still starting"
        super().__init__(f"{folder} is being written by another command ({who}); lock file {lock}. "
                         "Wait for it to finish, then run this command again.")


class WrongFolderError(InputError):
    """A folder of the wrong kind was given: says what it is and what was expected."""

    def __init__(self, folder, got, expected, hint=""):
        self.got, self.expected = got, expected
        super().__init__(folder, "(folder)", f"this is {got}; expected {expected}{hint}")
